{{/* The chart's name. */}}
{{- define "observatory-services.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release-qualified name of the chart's shared objects. */}}
{{- define "observatory-services.fullname" -}}
{{- printf "%s" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object carries. */}}
{{- define "observatory-services.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/part-of: observatory
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels: only name and instance. */}}
{{- define "observatory-services.selectorLabels" -}}
app.kubernetes.io/name: {{ include "observatory-services.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The name of one service's objects: <release>-<key>. Needs dict "root" "key". */}}
{{- define "observatory-services.serviceName" -}}
{{- printf "%s-%s" .root.Release.Name .key | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels of one service. Needs dict "root" "key". */}}
{{- define "observatory-services.serviceSelector" -}}
{{ include "observatory-services.selectorLabels" .root }}
app.kubernetes.io/component: {{ .key }}
{{- end }}

{{/* The PostgreSQL password's Secret: postgresql.existingSecret (made once outside the chart, as the Tiltfile does)
or the one the chart generates. */}}
{{- define "observatory-services.postgresSecret" -}}
{{- .Values.postgresql.existingSecret | default (printf "%s-postgresql" .Release.Name) }}
{{- end }}

{{/* The SQL that creates one database per framework (the checksum of the PostgreSQL pod hashes only this). */}}
{{- define "observatory-services.createDatabases" -}}
{{- $seen := dict }}
{{- range $key, $svc := .Values.services }}
{{- if and (ne ($svc.database | toString) "false") (not (hasKey $seen $svc.framework)) }}
{{- $_ := set $seen $svc.framework true }}
{{ printf "CREATE DATABASE %q OWNER observatory;" $svc.framework }}
{{- end }}
{{- end }}
{{- end }}

{{/* The restricted container security context. */}}
{{- define "observatory-services.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The OpenTelemetry Collector configuration: OTLP/HTTP in, batch, debug out. */}}
{{- define "observatory-services.otelConfig" -}}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 0.0.0.0:4318
processors:
  batch: {}
exporters:
  debug:
    verbosity: basic
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [debug]
{{- end }}
