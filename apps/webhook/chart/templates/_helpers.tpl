{{/* The objects' name: one webhook per cluster (its ClusterRole and webhook configuration are cluster-wide). */}}
{{- define "l5d-injector.name" -}}
l5d-proxy-injector
{{- end }}

{{/* The name alone: a Deployment's selector cannot change, and there is one webhook per cluster. */}}
{{- define "l5d-injector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "l5d-injector.name" . }}
{{- end }}

{{/* helm.sh/chart and managed-by are left out of the kustomize manifests rendered from this chart (deploy/). */}}
{{- define "l5d-injector.labels" -}}
{{ include "l5d-injector.selectorLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: l5d-injector
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "l5d-injector.serviceHost" -}}
{{ include "l5d-injector.name" . }}.{{ .Release.Namespace }}.svc
{{- end }}

{{- define "l5d-injector.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.name }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.name }}:{{ .Values.image.version | default .Chart.AppVersion }}
{{- end }}
{{- end }}
