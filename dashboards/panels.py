"""Panel and variable builders shared by the dashboards: one place for units, legends and the datasource."""

from __future__ import annotations

from grafana_foundation_sdk.builders import barchart, common, dashboard, heatmap, prometheus, timeseries
from grafana_foundation_sdk.builders import stat as statpanel
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    BigValueGraphMode,
    BigValueTextMode,
    LegendDisplayMode,
    LegendPlacement,
    VisibilityMode,
)
from grafana_foundation_sdk.models.dashboard import DashboardLink as DashboardLinkModel
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataSourceRef,
    DataTransformerConfig,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.heatmap import HeatmapColorMode, HeatmapColorScale
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
RATE_WINDOW = "$__rate_interval"


def target(expr: str, legend: str, ref: str = "A") -> prometheus.Dataquery:
    """A Prometheus query with its legend."""
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).datasource(DATASOURCE)


def panel(
    title: str, description: str, unit: str, targets: list[prometheus.Dataquery], width: int = 12
) -> timeseries.Panel:
    """A time series panel with a unit, a legend table and a description of what to look for."""
    built = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .datasource(DATASOURCE)
        .height(8)
        .span(width)
        .legend(
            common.VizLegendOptions()
            .display_mode(LegendDisplayMode.TABLE)
            .placement(LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["mean", "max"])
        )
    )
    for query in targets:
        built = built.with_target(query)
    return built


def datasource_variable() -> dashboard.DatasourceVariable:
    """The Prometheus datasource to read from, chosen by the viewer."""
    return dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus")


def label_variable(name: str, metric: str, label: str | None = None, multi: bool = True) -> dashboard.QueryVariable:
    """A variable filled from a label's values, with All."""
    variable = (
        dashboard.QueryVariable(name)
        .label(name)
        .datasource(DATASOURCE)
        .query(f"label_values({metric}, {label or name})")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
    )
    if multi:
        variable = variable.multi(True).include_all(True).all_value(".*")
    return variable


def stat(
    title: str, description: str, unit: str, targets: list[prometheus.Dataquery], width: int = 6
) -> statpanel.Panel:
    """A headline number per series (the legend format names each), the latest value with a sparkline."""
    built = (
        statpanel.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .datasource(DATASOURCE)
        .height(5)
        .span(width)
        .graph_mode(BigValueGraphMode.AREA)
        .color_mode(BigValueColorMode.VALUE)
        .text_mode(BigValueTextMode.VALUE_AND_NAME)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    for query in targets:
        built = built.with_target(query)
    return built


def latency_heatmap(title: str, description: str, query: prometheus.Dataquery, width: int = 12) -> heatmap.Panel:
    """A heatmap of a latency distribution already bucketed by Prometheus (native histogram or `le` buckets)."""
    return (
        heatmap.Panel()
        .title(title)
        .description(description)
        .unit("s")
        .datasource(DATASOURCE)
        .height(8)
        .span(width)
        .calculate(False)
        .y_axis(heatmap.YAxisConfig().unit("s"))
        .color(heatmap.HeatmapColorOptions().mode(HeatmapColorMode.SCHEME).scheme("Oranges").scale(HeatmapColorScale.EXPONENTIAL).exponent(0.5))
        .cell_values(heatmap.CellValues().unit("reqps"))
        .show_legend()
        .with_target(query.format(PromQueryFormat.HEATMAP))
    )  # fmt: skip


def bars(
    title: str, description: str, unit: str, query: prometheus.Dataquery, x: str, series: str = "service"
) -> barchart.Panel:
    """Grouped bars: one group per value of label `x` (replica or worker count), one bar per `series` (framework/profile).

    The instant query returns one row per (series, x); Grafana turns it into a matrix with x as rows, sorted as
    numbers.
    """
    corner = f"{x}\\{series}"
    return (
        barchart.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .datasource(DATASOURCE)
        .height(8)
        .span(8)
        .x_field(corner)
        .show_value(VisibilityMode.AUTO)
        .legend(common.VizLegendOptions().display_mode(LegendDisplayMode.LIST).placement(LegendPlacement.BOTTOM).show_legend(True))
        .axis_soft_min(0)
        .with_transformation(DataTransformerConfig(id_val="groupingToMatrix", options={"columnField": series, "rowField": x, "valueField": "Value"}))
        .with_transformation(DataTransformerConfig(id_val="convertFieldType", options={"conversions": [{"targetField": corner, "destinationType": "number"}]}))
        .with_transformation(DataTransformerConfig(id_val="sortBy", options={"sort": [{"field": corner}]}))
        .with_transformation(DataTransformerConfig(id_val="convertFieldType", options={"conversions": [{"targetField": corner, "destinationType": "string"}]}))
        .with_target(query.instant().format(PromQueryFormat.TABLE))
    )  # fmt: skip


# How Grafana's Prometheus annotations name and tag each region (a 5 s step keeps short benchmarks' edges sharp). The
# SDK's AnnotationQuery model has no fields for them, so `annotation_extras` adds them to the JSON; Grafana's schema
# accepts them (tests/dashboards validates).
BENCHMARK_ANNOTATION = "Benchmarks"
ANNOTATION_EXTRAS = {"titleFormat": "{{testid}}", "tagKeys": "framework,profile,workload", "step": "5s"}


def annotation_extras(board: dict) -> dict:
    """The built dashboard's JSON with the benchmark annotation's title, tags and step."""
    for annotation in board.get("annotations", {}).get("list", []):
        if annotation.get("name") == BENCHMARK_ANNOTATION:
            annotation.update(ANNOTATION_EXTRAS)
    return board


def benchmark_annotation(expr: str) -> dashboard.AnnotationQuery:
    """Each k6 benchmark as a region from its start to its end, from k6's own series (one per test id)."""
    return (
        dashboard.AnnotationQuery()
        .name(BENCHMARK_ANNOTATION)
        .datasource(DATASOURCE)
        .enable(True)
        .icon_color("rgba(0, 114, 178, 0.25)")
        .expr(expr)
    )


def links() -> list[cogbuilder.Builder[DashboardLinkModel]]:
    """Every observatory dashboard, carrying the time range and the variables (run, framework...) across."""
    return [
        dashboard.DashboardLink("Observatory")
        .type(DashboardLinkType.DASHBOARDS)
        .tags(["observatory"])
        .as_dropdown(False)
        .include_vars(True)
        .keep_time(True)
    ]


def run_link(title: str = "Scaling of this run") -> dashboard.DashboardLink:
    """A data link from a value to the scaling dashboard of the run (and framework) it belongs to."""
    return (
        dashboard.DashboardLink(title)
        .type(DashboardLinkType.LINK)
        .url("/d/observatory-scaling/observatory-scaling?${__url_time_range}&var-run=${run}&var-framework=${__field.labels.framework}")
    )  # fmt: skip
