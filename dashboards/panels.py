"""Panel and variable builders shared by the dashboards: one place for units, legends and the datasource."""

from __future__ import annotations

from grafana_foundation_sdk.builders import common, dashboard, prometheus, timeseries
from grafana_foundation_sdk.models.common import LegendDisplayMode, LegendPlacement
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableRefresh

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
        .sort(1)
    )
    if multi:
        variable = variable.multi(True).include_all(True).all_value(".*")
    return variable
