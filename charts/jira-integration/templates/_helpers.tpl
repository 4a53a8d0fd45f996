{{/* vim: set filetype=mustache: */}}

{{- define "jira-integration.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Full name: <release>-<chart>, or just <release> when it already contains the chart name.
Capped at 50 characters so "<fullname>-live-events" stays a valid label value.
*/}}
{{- define "jira-integration.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "jira-integration.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jira-integration.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jira-integration.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "jira-integration.labels" -}}
helm.sh/chart: {{ include "jira-integration.chart" . }}
{{ include "jira-integration.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: port-ocean
{{- end -}}

{{- define "jira-integration.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "jira-integration.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "jira-integration.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Name of the Secret the pods read credentials from (envFrom). */}}
{{- define "jira-integration.secretName" -}}
{{- default (include "jira-integration.fullname" .) .Values.secret.existingSecret -}}
{{- end -}}

{{- define "jira-integration.liveEventsEnabled" -}}
{{- if gt (int .Values.liveEvents.replicas) 0 -}}true{{- end -}}
{{- end -}}

{{- define "jira-integration.redisEnabled" -}}
{{- if and (include "jira-integration.liveEventsEnabled" .) .Values.liveEvents.redis.url -}}true{{- end -}}
{{- end -}}

{{/*
Component the Service (and Ingress) routes to: the WEBHOOKS_ONLY replicas when they take
webhooks over HTTP, else the main Deployment; empty when nothing serves HTTP (CronJob, or
CronJob + Redis-fed live-events replicas).
*/}}
{{- define "jira-integration.serviceComponent" -}}
{{- if and (include "jira-integration.liveEventsEnabled" .) (not (include "jira-integration.redisEnabled" .)) -}}
live-events
{{- else if eq .Values.workload.kind "Deployment" -}}
sync
{{- end -}}
{{- end -}}

{{/*
Values checks the JSON schema cannot express.
*/}}
{{- define "jira-integration.validate" -}}
{{- $secrets := .Values.integration.secrets -}}
{{- if .Values.secret.existingSecret -}}
{{- if or .Values.port.clientId .Values.port.clientSecret $secrets.atlassianUserEmail $secrets.atlassianUserToken $secrets.webhookSecret .Values.liveEvents.redis.password -}}
{{- fail "secret.existingSecret is set: leave port.clientId, port.clientSecret, integration.secrets.* and liveEvents.redis.password empty and put them in that Secret instead" -}}
{{- end -}}
{{- end -}}
{{- if and (eq .Values.workload.kind "Deployment") (eq .Values.integration.eventListener.type "ONCE") -}}
{{- fail "integration.eventListener.type=ONCE exits after one sync: use workload.kind=CronJob for scheduled one-off syncs" -}}
{{- end -}}
{{- range .Values.extraEnv -}}
{{- if hasPrefix "OCEAN__EVENT_LISTENER" (upper .name) -}}
{{- fail (printf "extraEnv %s is reserved: set integration.eventListener (or workload.kind=CronJob for ONCE)" .name) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.liveEvents.redis.url (not (include "jira-integration.liveEventsEnabled" .)) -}}
{{- fail "liveEvents.redis.url is set but liveEvents.replicas is 0: the Redis stream is read by the live-events replicas only" -}}
{{- end -}}
{{- if include "jira-integration.redisEnabled" . -}}
{{- if not (regexMatch "/live-events/[^/]+" .Values.liveEvents.baseUrl) -}}
{{- fail "liveEvents.redis.url is set: liveEvents.baseUrl must be the live-events URL Port gave you (it contains /live-events/<id>, which names the Redis stream)" -}}
{{- end -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not (include "jira-integration.serviceComponent" .)) -}}
{{- fail "ingress.enabled needs pods that serve HTTP: workload.kind=Deployment, or liveEvents.replicas > 0 without liveEvents.redis.url" -}}
{{- end -}}
{{- end -}}

{{/*
OCEAN__EVENT_LISTENER as JSON, camelCase keys turned into Ocean's snake_case.
Call with (dict "listener" <map>).
*/}}
{{- define "jira-integration.eventListenerJson" -}}
{{- $out := dict -}}
{{- range $key, $value := .listener -}}
{{- if not (kindIs "invalid" $value) -}}
{{- $_ := set $out (snakecase $key) $value -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
Pod template shared by the main Deployment, the CronJob and the live-events Deployment.
Call with (dict "root" $ "component" "sync|live-events" "eventListener" <map> "oneShot" bool).
*/}}
{{- define "jira-integration.podTemplate" -}}
{{- $root := .root -}}
{{- $values := $root.Values -}}
metadata:
  labels:
    {{- include "jira-integration.selectorLabels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    {{- with $values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
    {{- if not $values.secret.existingSecret }}
    checksum/secret: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
    {{- end }}
    {{- with $values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "jira-integration.serviceAccountName" $root }}
  automountServiceAccountToken: {{ $values.serviceAccount.automountServiceAccountToken }}
  {{- if .oneShot }}
  restartPolicy: Never
  {{- end }}
  {{- with $values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $values.podSecurityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: {{ $root.Chart.Name }}
      image: {{ include "jira-integration.image" $root | quote }}
      imagePullPolicy: {{ $values.image.pullPolicy }}
      ports:
        - name: http
          containerPort: 8000
          protocol: TCP
      envFrom:
        - configMapRef:
            name: {{ include "jira-integration.fullname" $root }}
        - secretRef:
            name: {{ include "jira-integration.secretName" $root }}
      env:
        - name: OCEAN__EVENT_LISTENER
          value: {{ include "jira-integration.eventListenerJson" (dict "listener" .eventListener) | quote }}
        {{- if and (eq .component "live-events") (include "jira-integration.redisEnabled" $root) }}
        - name: OCEAN__LIVE_EVENTS__IS_REDIS_STREAM_CONSUMER_ENABLED
          value: "true"
        - name: OCEAN__LIVE_EVENTS__REDIS__URL
          value: {{ $values.liveEvents.redis.url | quote }}
        - name: OCEAN__LIVE_EVENTS__REDIS__ENABLE_TLS
          value: {{ hasPrefix "rediss://" $values.liveEvents.redis.url | quote }}
        {{- with $values.liveEvents.redis.username }}
        - name: OCEAN__LIVE_EVENTS__REDIS__USERNAME
          value: {{ . | quote }}
        {{- end }}
        {{- with $values.liveEvents.redis.ca }}
        - name: OCEAN__LIVE_EVENTS__REDIS__CA
          value: {{ . | quote }}
        {{- end }}
        {{- end }}
        {{- with $values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- if not .oneShot }}
      {{- with $values.livenessProbe }}
      livenessProbe:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.readinessProbe }}
      readinessProbe:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- end }}
      {{- with $values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.securityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        # HOME (Ocean's caches); its own volume so it exists on an otherwise empty /tmp.
        - name: home
          mountPath: /tmp/ocean
        {{- with $values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    {{- range list "tmp" "home" }}
    - name: {{ . }}
      emptyDir:
        {{- if $values.tmpVolumeSizeLimit }}
        sizeLimit: {{ $values.tmpVolumeSizeLimit }}
        {{- else }}
        {}
        {{- end }}
    {{- end }}
    {{- with $values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
