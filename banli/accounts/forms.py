"""Forms of the login steps, the account page and the admins' help desk."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app, or a recovery code."""

    token = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class ResetForm(forms.Form):
    """An admin helps a user who forgot the password or lost the phone."""

    TEMPORARY, LINK = "temporary", "link"

    username = forms.CharField(label=_("Username"), max_length=150)
    method = forms.ChoiceField(
        label=_("How"),
        choices=[
            (TEMPORARY, _("A one-time password, to be changed at the next login")),
            (LINK, _("A link to choose a new password")),
        ],
        widget=forms.RadioSelect,
        initial=TEMPORARY,
    )
    reset_two_factor = forms.BooleanField(
        label=_("Also remove the two-factor authentication (the user lost the phone)"),
        required=False,
    )

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("There is no active account with this username."))
        self.user = user
        return username


class UnlockForm(forms.Form):
    kind = forms.ChoiceField(choices=[("account", "account"), ("address", "address")])
    value = forms.CharField(max_length=150)
