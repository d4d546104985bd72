{{/* SPDX-License-Identifier: Apache-2.0 */}}

{{/* The chart name, or nameOverride. */}}
{{- define "bpfmap-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's objects: fullnameOverride, else the release
name when it already holds the chart name, else "<release>-<chart>".
*/}}
{{- define "bpfmap-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels that select the pods; never change them in an upgrade. */}}
{{- define "bpfmap-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bpfmap-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "bpfmap-exporter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "bpfmap-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: exporter
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "bpfmap-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bpfmap-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "bpfmap-exporter.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* Where the ConfigMap's config.yaml is mounted in the container. */}}
{{- define "bpfmap-exporter.configDir" -}}
/etc/bpfmap-exporter
{{- end }}

{{/* The job label of the exporter's targets, for the alerts. */}}
{{- define "bpfmap-exporter.job" -}}
{{- default (include "bpfmap-exporter.fullname" .) .Values.prometheusRule.job }}
{{- end }}
