"""The benchmark (压力测试): a province-scale dataset, a production server, a load generator
and the framework's floor measured in the same run (docs/benchmark.md). The floor itself is
banli.views.floor, served at /-/floor/ like any page."""
