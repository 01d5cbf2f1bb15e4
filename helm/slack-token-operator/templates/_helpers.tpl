{{/* Names */}}
{{- define "sto.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sto.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "sto.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "sto.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "sto.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sto.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "sto.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sto.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret with the default Slack app's credentials. */}}
{{- define "sto.slackAppSecret" -}}
{{- default (printf "%s-slack-app" (include "sto.fullname" .)) .Values.slackApp.existingSecret -}}
{{- end -}}

{{/* The state-key Secret: the operator's default name unless set, so a checkout run against this install finds it. */}}
{{- define "sto.stateKeySecret" -}}
{{- .Values.stateKey.secretName | default "slack-token-operator-state-key" -}}
{{- end -}}

{{/* publicUrl: explicit, or https://<ingress.host>. */}}
{{- define "sto.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{- .Values.publicUrl | trimSuffix "/" -}}
{{- else if and .Values.ingress.enabled .Values.ingress.host -}}
{{- printf "https://%s" .Values.ingress.host -}}
{{- else -}}
{{- fail "set publicUrl, or enable the Ingress with a host: Slack must be able to redirect browsers to <publicUrl>/oauth/callback" -}}
{{- end -}}
{{- end -}}

{{- define "sto.slackBaseUrl" -}}
{{- if .Values.simulator.enabled -}}
{{- default (include "sto.publicUrl" .) .Values.simulator.baseUrl | trimSuffix "/" -}}
{{- else -}}
{{- .Values.slack.baseUrl | trimSuffix "/" -}}
{{- end -}}
{{- end -}}

{{/* Rules for watching connections in a namespace (or cluster-wide). */}}
{{- define "sto.connectionRules" }}
# Watch the connections, write their status, and hold a finalizer on them.
- apiGroups: [slacktokens.dev]
  resources: [slackuserconnections]
  verbs: [get, list, watch, patch, update]
- apiGroups: [slacktokens.dev]
  resources: [slackuserconnections/status]
  verbs: [get, patch, update]
- apiGroups: [slacktokens.dev]
  resources: [slackuserconnections/finalizers]
  verbs: [update]
# Workload Secrets (label-selected informer, server-side apply, deleted on rename); spec.slackApp and
# spec.importFrom Secrets are read with a direct GET.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- end }}

{{/* The operator image: pinned by digest when image.digest is set (the tag is then only informative), else by tag. */}}
{{- define "sto.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end }}
