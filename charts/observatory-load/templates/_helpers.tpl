{{/* The chart's name. */}}
{{- define "observatory-load.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release-qualified name of the chart's objects. */}}
{{- define "observatory-load.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object carries. */}}
{{- define "observatory-load.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/part-of: observatory
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{ include "observatory-load.selectorLabels" . }}
{{- end }}

{{/* Selector labels: only name and instance. */}}
{{- define "observatory-load.selectorLabels" -}}
app.kubernetes.io/name: {{ include "observatory-load.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The benchmarks, each rate of a `rates` ladder as its own constant-rate benchmark named <name>-<rate>. */}}
{{- define "observatory-load.benchmarks" -}}
{{- $out := list }}
{{- range $b := .Values.benchmarks }}
{{- if $b.rates }}
{{- range $rate := $b.rates }}
{{- $one := merge (dict "name" (printf "%s-%v" $b.name $rate) "rate" $rate "scenario" "constant") (omit $b "rates" "name" "scenario") }}
{{- $out = append $out $one }}
{{- end }}
{{- else }}
{{- $out = append $out $b }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* The k6 environment of one benchmark. Needs dict "root" "b". */}}
{{- define "observatory-load.env" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: TESTID
  value: "$(POD_NAME)-{{ .b.name }}"
- name: RUN_ID
  value: "$(POD_NAME)"
- name: BASE_URL
  value: "http://{{ .root.Values.servicesRelease }}-{{ .b.service }}:8000"
- name: FRAMEWORK
  value: {{ .b.framework | quote }}
- name: PROFILE
  value: {{ .b.profile | quote }}
- name: WORKLOAD
  value: {{ .b.workload | quote }}
- name: SCENARIO
  value: {{ .b.scenario | quote }}
{{- range $key, $name := dict "rate" "RATE" "duration" "DURATION" "vus" "VUS" "startRate" "START_RATE" "stepRate" "STEP_RATE" "steps" "STEPS" "stepDuration" "STEP_DURATION" "maxVus" "MAX_VUS" "preVus" "PRE_VUS" "workers" "WORKERS" }}
{{- if hasKey $.b $key }}
- name: {{ $name }}
  value: {{ index $.b $key | quote }}
{{- end }}
{{- end }}
- name: SLO_P99_MS
  value: {{ .root.Values.slo.p99Ms | quote }}
- name: SLO_ERROR_RATE
  value: {{ .root.Values.slo.errorRate | quote }}
- name: SUMMARY_PATH
  value: "/results/$(TESTID).json"
- name: K6_PROMETHEUS_RW_SERVER_URL
  value: {{ .root.Values.remoteWriteUrl | quote }}
- name: K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM
  value: "true"
- name: K6_NO_USAGE_REPORT
  value: "true"
# k6's garbage collector pauses inflate client-side latency; collect only near the memory limit (as local mode does)
- name: GOGC
  value: "off"
- name: GOMEMLIMIT
  value: {{ .root.Values.goMemLimit | quote }}
{{- end }}

{{/* One k6 container running one benchmark. Needs dict "root" "b". */}}
{{- define "observatory-load.container" -}}
- name: {{ .b.name }}
  image: {{ .root.Values.image }}
  imagePullPolicy: IfNotPresent
  args: [run, --quiet, -o, experimental-prometheus-rw, /scripts/benchmark.js]
  env:
    {{- include "observatory-load.env" . | nindent 4 }}
  resources:
    {{- toYaml .root.Values.resources | nindent 4 }}
  securityContext:
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    runAsNonRoot: true
    capabilities:
      drop: [ALL]
    seccompProfile:
      type: RuntimeDefault
  volumeMounts:
    - name: scripts
      mountPath: /scripts
      readOnly: true
    - name: results
      mountPath: /results
    - name: tmp
      mountPath: /tmp
{{- end }}

{{/* The pod-level settings and volumes of every k6 pod. */}}
{{- define "observatory-load.podCommon" -}}
automountServiceAccountToken: false
securityContext:
  runAsNonRoot: true
  runAsUser: 12345
  runAsGroup: 12345
  fsGroup: 12345
  seccompProfile:
    type: RuntimeDefault
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: scripts
    configMap:
      name: {{ .Release.Name }}-scripts
      items:
        {{- range $path, $_ := .Files.Glob "files/loadtests/**.js" }}
        - key: {{ trimPrefix "files/loadtests/" $path | replace "/" "__" }}
          path: {{ trimPrefix "files/loadtests/" $path }}
        {{- end }}
  - name: results
    {{- if .Values.results.persistence.enabled }}
    persistentVolumeClaim:
      claimName: {{ .Release.Name }}-results
    {{- else }}
    emptyDir: {}
    {{- end }}
  - name: tmp
    emptyDir: {}
{{- end }}
