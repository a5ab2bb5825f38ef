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

{{/* The ServiceAccount (and Role) of the replica sweep's kubectl steps. */}}
{{- define "observatory-load.scaler" -}}
{{- printf "%s-scaler" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Deployment a benchmark targets. Needs dict "root" "b". */}}
{{- define "observatory-load.deployment" -}}
{{- printf "%s-%s" .root.Values.servicesRelease .b.service | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Deployments the replica sweep may scale: one per benchmarked service, sorted. */}}
{{- define "observatory-load.deployments" -}}
{{- $out := list }}
{{- range $b := .Values.benchmarks }}
{{- $out = append $out (include "observatory-load.deployment" (dict "root" $ "b" $b)) }}
{{- end }}
{{- toYaml ($out | uniq | sortAlpha) }}
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

{{/*
The scheduled benchmark's steps, in order; each becomes one container of the pod (init containers run one after the
other, the last step is the pod's container). Per replica count (when the sweep is on), per benchmark:
  scale   kubectl scale the service's Deployment to the count        (kind: scale)
  ready   kubectl rollout status: every replica ready                 (kind: ready)
  <rate>  one k6 run per rate of the ladder, whatever its exit code    (kind: k6)
  publish k6 publish-capacity.js: the ladder's capacity to Prometheus, the replica count into its summaries
  restore kubectl scale the Deployment back to restoreReplicas         (kind: scale)
*/}}
{{- define "observatory-load.steps" -}}
{{- $sweep := .Values.replicaSweep.enabled }}
{{- $passes := list 0 }}
{{- if $sweep }}{{ $passes = .Values.replicaSweep.replicas }}{{ end }}
{{- $steps := list }}
{{- range $n := $passes }}
{{- range $b := $.Values.benchmarks }}
{{- $prefix := ternary (printf "r%v-" $n) "" $sweep }}
{{- $deployment := include "observatory-load.deployment" (dict "root" $ "b" $b) }}
{{- if $sweep }}
{{- $steps = append $steps (dict "kind" "scale" "name" (printf "%s%s-scale" $prefix $b.name) "deployment" $deployment "replicas" $n) }}
{{- $steps = append $steps (dict "kind" "ready" "name" (printf "%s%s-ready" $prefix $b.name) "deployment" $deployment) }}
{{- end }}
{{- $runs := list }}
{{- if $b.rates }}
{{- range $rate := $b.rates }}
{{- $runs = append $runs (merge (dict "name" (printf "%s%s-%v" $prefix $b.name $rate) "rate" $rate "scenario" "constant") (omit $b "rates" "name" "scenario")) }}
{{- end }}
{{- else }}
{{- $runs = append $runs (merge (dict "name" (printf "%s%s" $prefix $b.name)) (omit $b "name")) }}
{{- end }}
{{- $names := list }}
{{- range $run := $runs }}
{{- $steps = append $steps (dict "kind" "k6" "name" $run.name "b" $run "replicas" $n) }}
{{- $names = append $names $run.name }}
{{- end }}
{{- $steps = append $steps (dict "kind" "publish" "name" (printf "%s%s-publish" $prefix $b.name) "runs" $names "replicas" $n) }}
{{- if $sweep }}
{{- $steps = append $steps (dict "kind" "scale" "name" (printf "%s%s-restore" $prefix $b.name) "deployment" $deployment "replicas" $.Values.replicaSweep.restoreReplicas) }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml $steps }}
{{- end }}

{{/* The k6 environment of one benchmark. Needs dict "root" "b" (and "replicas": 0 when not swept). */}}
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
{{- range $key, $name := dict "rate" "RATE" "duration" "DURATION" "vus" "VUS" "startRate" "START_RATE" "stepRate" "STEP_RATE" "steps" "STEPS" "stepDuration" "STEP_DURATION" "maxVus" "MAX_VUS" "preVus" "PRE_VUS" "workers" "WORKERS" "warmup" "WARMUP" "checks" "CHECKS" }}
{{- if hasKey $.b $key }}
- name: {{ $name }}
  value: {{ index $.b $key | quote }}
{{- end }}
{{- end }}
{{- if .replicas }}
- name: REPLICAS
  value: {{ .replicas | quote }}
{{- end }}
- name: SLO_P99_MS
  value: {{ .root.Values.slo.p99Ms | quote }}
- name: SLO_ERROR_RATE
  value: {{ .root.Values.slo.errorRate | quote }}
- name: SUMMARY_PATH
  value: "/results/$(TESTID).json"
{{- include "observatory-load.remoteWriteEnv" .root }}
{{- end }}

{{/* Remote write and k6's runtime settings, shared by every k6 container. */}}
{{- define "observatory-load.remoteWriteEnv" }}
- name: K6_PROMETHEUS_RW_SERVER_URL
  value: {{ .Values.remoteWriteUrl | quote }}
- name: K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM
  value: "true"
- name: K6_NO_USAGE_REPORT
  value: "true"
# k6's garbage collector pauses inflate client-side latency; collect only near the memory limit (as local mode does)
- name: GOGC
  value: "off"
- name: GOMEMLIMIT
  value: {{ .Values.goMemLimit | quote }}
{{- end }}

{{/* The restricted security context of every container. */}}
{{- define "observatory-load.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The volumes a k6 container mounts. */}}
{{- define "observatory-load.k6Mounts" -}}
- name: scripts
  mountPath: /scripts
  readOnly: true
- name: results
  mountPath: /results
- name: tmp
  mountPath: /tmp
{{- end }}

{{/*
One k6 container running one benchmark. Needs dict "root" "b" ("replicas"). k6 exits 99 when a threshold fails, which
is what a capacity ladder is designed to cause, and 107 when the target was not ready: the shell reports the code
and exits 0, so the next rate, benchmark and replica count still run. The summary is written by k6 itself either way.
No `--tag` on the command line: k6 would replace the script's tags (testid, run, framework...) with it; the replica
count is in the testid (r<N>-...) and on the published capacities.
*/}}
{{- define "observatory-load.container" -}}
- name: {{ .b.name }}
  image: {{ .root.Values.image }}
  imagePullPolicy: IfNotPresent
  command: [/bin/sh, -c]
  args:
    - >-
      k6 run --quiet -o experimental-prometheus-rw /scripts/benchmark.js;
      code=$?;
      echo "observatory: k6 exited $code for $TESTID (99: a threshold failed, as a ladder expects above capacity); going on";
      exit 0
  env:
    {{- include "observatory-load.env" . | nindent 4 }}
  resources:
    {{- toYaml .root.Values.resources | nindent 4 }}
  securityContext:
    {{- include "observatory-load.containerSecurity" . | nindent 4 }}
  volumeMounts:
    {{- include "observatory-load.k6Mounts" . | nindent 4 }}
{{- end }}

{{/* One publish step: the ladder's summaries, their capacity to Prometheus and the replica count (and the CPUs the pod
sees, HOST_CPUS: on kind all nodes share the host's) into them. */}}
{{- define "observatory-load.publishContainer" -}}
- name: {{ .step.name }}
  image: {{ .root.Values.image }}
  imagePullPolicy: IfNotPresent
  command: [/bin/sh, -c]
  args:
    - >-
      export HOST_CPUS="$(nproc 2>/dev/null || grep -c ^processor /proc/cpuinfo)";
      k6 run --quiet -o experimental-prometheus-rw /scripts/publish-capacity.js;
      code=$?;
      [ "$code" = 0 ] || echo "observatory: publishing the capacity of $RUN_ID failed (k6 exited $code); going on";
      exit 0
  env:
    - name: POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    - name: RUN_ID
      value: "$(POD_NAME)"
    - name: SUMMARIES
      value: "{{ range $i, $name := .step.runs }}{{ if $i }},{{ end }}/results/$(POD_NAME)-{{ $name }}.json{{ end }}"
    {{- if .step.replicas }}
    - name: REPLICAS
      value: {{ .step.replicas | quote }}
    {{- end }}
    {{- include "observatory-load.remoteWriteEnv" .root | nindent 4 }}
  resources:
    {{- toYaml .root.Values.resources | nindent 4 }}
  securityContext:
    {{- include "observatory-load.containerSecurity" . | nindent 4 }}
  volumeMounts:
    {{- include "observatory-load.k6Mounts" . | nindent 4 }}
{{- end }}

{{/* One kubectl step of the replica sweep (scale or wait), as ServiceAccount <release>-scaler. Needs dict "root" "step". */}}
{{- define "observatory-load.kubectlContainer" -}}
- name: {{ .step.name }}
  image: {{ .root.Values.kubectlImage }}
  imagePullPolicy: IfNotPresent
  command: [kubectl]
  {{- if eq .step.kind "scale" }}
  args: [scale, "deployment/{{ .step.deployment }}", "--replicas={{ .step.replicas }}", "--namespace=$(POD_NAMESPACE)"]
  {{- else }}
  args: [rollout, status, "deployment/{{ .step.deployment }}", "--timeout={{ .root.Values.replicaSweep.readyTimeout }}", "--namespace=$(POD_NAMESPACE)"]
  {{- end }}
  env:
    - name: POD_NAMESPACE
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
    # kubectl caches discovery under $HOME; the root filesystem is read-only
    - name: HOME
      value: /tmp
  resources:
    {{- toYaml .root.Values.kubectlResources | nindent 4 }}
  securityContext:
    {{- include "observatory-load.containerSecurity" . | nindent 4 }}
  volumeMounts:
    - name: scaler-token
      mountPath: /var/run/secrets/kubernetes.io/serviceaccount
      readOnly: true
    - name: tmp
      mountPath: /tmp
{{- end }}

{{/* One step as a container. Needs dict "root" "step". */}}
{{- define "observatory-load.stepContainer" -}}
{{- if eq .step.kind "k6" }}
{{- include "observatory-load.container" (dict "root" .root "b" .step.b "replicas" .step.replicas) }}
{{- else if eq .step.kind "publish" }}
{{- include "observatory-load.publishContainer" . }}
{{- else }}
{{- include "observatory-load.kubectlContainer" . }}
{{- end }}
{{- end }}

{{/* The pod spec of a scheduled (or one-off) benchmark: every step in order. */}}
{{- define "observatory-load.benchmarkPod" -}}
{{- $steps := include "observatory-load.steps" . | fromYamlArray }}
{{- /* kubectl apply (and Tilt) keep a copy of the object in an annotation limited to 256 KiB: about 1.5 KB a step */}}
{{- if gt (len $steps) 160 }}
{{- fail (printf "the scheduled benchmark has %d steps, more than the 160 one object can hold (kubectl apply's 256 KiB annotation): fewer replica counts, benchmarks or rates per run" (len $steps)) }}
{{- end }}
{{- $last := sub (len $steps) 1 }}
restartPolicy: Never
{{- if .Values.replicaSweep.enabled }}
serviceAccountName: {{ include "observatory-load.scaler" . }}
{{- end }}
{{ include "observatory-load.podCommon" . }}
{{- if .Values.replicaSweep.enabled }}
  # The scaler's token, mounted only into the kubectl steps (the pod mounts none by default)
  - name: scaler-token
    projected:
      sources:
        - serviceAccountToken:
            path: token
            expirationSeconds: 3600
        - configMap:
            name: kube-root-ca.crt
            items:
              - key: ca.crt
                path: ca.crt
        - downwardAPI:
            items:
              - path: namespace
                fieldRef:
                  fieldPath: metadata.namespace
{{- end }}
# The steps run one after the other (init containers run in order), never side by side.
{{- if gt (len $steps) 1 }}
initContainers:
  {{- range $i, $step := $steps }}
  {{- if lt $i $last }}
  {{- include "observatory-load.stepContainer" (dict "root" $ "step" $step) | nindent 2 }}
  {{- end }}
  {{- end }}
{{- end }}
containers:
  {{- include "observatory-load.stepContainer" (dict "root" . "step" (index $steps $last)) | nindent 2 }}
{{- end }}

{{/* The pod-level settings and volumes of every k6 pod (volumes last, so callers may append to them). */}}
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
