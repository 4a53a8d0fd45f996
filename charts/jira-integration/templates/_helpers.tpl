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
{{- with .Values.extraLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "jira-integration.serviceAccountName" -}}
{{- if .Values.podServiceAccount.name -}}
{{- tpl .Values.podServiceAccount.name . -}}
{{- else if .Values.serviceAccount.create -}}
{{- default (include "jira-integration.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The image: image.repository, else Port's chart naming (<imageRegistry>/port-ocean-<type>), else
this chart's placeholder; tag: image.tag, else integration.version, else appVersion. A string
image is Port's newer form: <imageRegistry>/<image>, the tag included.
*/}}
{{- define "jira-integration.image" -}}
{{- $registry := trimSuffix "/" .Values.imageRegistry -}}
{{- if and (kindIs "string" .Values.image) .Values.image -}}
{{- ternary (printf "%s/%s" $registry .Values.image) .Values.image (ne $registry "") -}}
{{- else -}}
{{- $image := include "jira-integration.imageSettings" . | fromJson -}}
{{- $repository := $image.repository | default (ternary (printf "%s/port-ocean-%s" $registry .Values.integration.type) "ghcr.io/your-org/port-ocean-jira" (ne $registry "")) -}}
{{- printf "%s:%s" $repository (toString ($image.tag | default .Values.integration.version | default .Chart.AppVersion)) -}}
{{- end -}}
{{- end -}}

{{/* The image map's settings as JSON (empty when image is Port's string form). */}}
{{- define "jira-integration.imageSettings" -}}
{{- toJson (ternary .Values.image dict (kindIs "map" .Values.image)) -}}
{{- end -}}

{{- define "jira-integration.imagePullPolicy" -}}
{{- .Values.imagePullPolicy | default (include "jira-integration.imageSettings" . | fromJson).pullPolicy | default "IfNotPresent" -}}
{{- end -}}

{{/* "true" when the chart renders the credentials Secret. */}}
{{- define "jira-integration.createSecret" -}}
{{- if and .Values.secret.create (not .Values.secret.existingSecret) -}}true{{- end -}}
{{- end -}}

{{/* Name of the Secret the chart renders. */}}
{{- define "jira-integration.secretName" -}}
{{- default (include "jira-integration.fullname" .) (ternary .Values.secret.name "" (kindIs "string" .Values.secret.name)) -}}
{{- end -}}

{{/* JSON list of the Secrets the pods read credentials from (envFrom). */}}
{{- define "jira-integration.secretRefs" -}}
{{- if .Values.secret.existingSecret -}}
{{- list .Values.secret.existingSecret | toJson -}}
{{- else if include "jira-integration.createSecret" . -}}
{{- list (include "jira-integration.secretName" .) | toJson -}}
{{- else if kindIs "slice" .Values.secret.name -}}
{{- .Values.secret.name | toJson -}}
{{- else -}}
{{- compact (list .Values.secret.name) | toJson -}}
{{- end -}}
{{- end -}}

{{/* Replicas of the live-events Deployment: liveEvents.replicas, or Port's liveEvents.worker. */}}
{{- define "jira-integration.liveEventsReplicas" -}}
{{- $worker := .Values.liveEvents.worker -}}
{{- if gt (int .Values.liveEvents.replicas) 0 -}}
{{- int .Values.liveEvents.replicas -}}
{{- else if $worker.enabled -}}
{{- int (ternary 1 $worker.replicaCount (kindIs "invalid" $worker.replicaCount)) -}}
{{- else -}}
0
{{- end -}}
{{- end -}}

{{- define "jira-integration.liveEventsEnabled" -}}
{{- if gt (int (include "jira-integration.liveEventsReplicas" .)) 0 -}}true{{- end -}}
{{- end -}}

{{/* "true" when scheduledResyncInterval is minutes (a number, or digits as a string). */}}
{{- define "jira-integration.resyncIntervalIsMinutes" -}}
{{- $value := .Values.scheduledResyncInterval -}}
{{- if and (not (kindIs "invalid" $value)) (regexMatch "^[0-9]+$" (toString $value)) -}}true{{- end -}}
{{- end -}}

{{/* The CronJob's schedule: a cron-expression scheduledResyncInterval, else workload.cronJob.schedule. */}}
{{- define "jira-integration.cronSchedule" -}}
{{- $value := .Values.scheduledResyncInterval -}}
{{- if and (kindIs "string" $value) (ne $value "") (not (include "jira-integration.resyncIntervalIsMinutes" .)) -}}
{{- $value -}}
{{- else -}}
{{- .Values.workload.cronJob.schedule -}}
{{- end -}}
{{- end -}}

{{/*
Minutes between incremental syncs (OCEAN__INTEGRATION__INCREMENTAL_SYNC_INTERVAL) from
incrementalSync.interval: 15, 30 or 60, or the cron expression running that often.
Empty when the interval is none of those.
*/}}
{{- define "jira-integration.incrementalMinutes" -}}
{{- $interval := toString .Values.incrementalSync.interval | trim -}}
{{- $minutes := dict "15" "15" "30" "30" "60" "60" "*/15 * * * *" "15" "*/30 * * * *" "30" "0 * * * *" "60" "*/60 * * * *" "60" "@hourly" "60" -}}
{{- get $minutes $interval -}}
{{- end -}}

{{- define "jira-integration.incrementalSchedule" -}}
{{- $minutes := include "jira-integration.incrementalMinutes" . -}}
{{- $interval := toString .Values.incrementalSync.interval | trim -}}
{{- if regexMatch "^[0-9]+$" $interval -}}
{{- ternary "0 * * * *" (printf "*/%s * * * *" $minutes) (eq $minutes "60") -}}
{{- else -}}
{{- $interval -}}
{{- end -}}
{{- end -}}

{{/*
Variables from an extraConfig map, as a JSON object: UPPER_SNAKE keys kept, others converted
(clientTimeout -> CLIENT_TIMEOUT); maps and lists as JSON.
*/}}
{{- define "jira-integration.extraConfigEnv" -}}
{{- $env := dict -}}
{{- range $key, $value := . -}}
{{- $_ := set $env (ternary $key (snakecase $key | upper) (regexMatch "^[A-Z0-9_]+$" $key)) (ternary (toJson $value) (toString $value) (or (kindIs "map" $value) (kindIs "slice" $value))) -}}
{{- end -}}
{{- toJson $env -}}
{{- end -}}

{{/*
Values of Port's port-ocean chart this chart accepts but that mean nothing for this
integration or this chart; NOTES.txt names those that are set.
*/}}
{{- define "jira-integration.ignoredPortValues" -}}
{{- $found := list -}}
{{- range $path := list "actionsProcessor.enabled" "executionAgent.enabled" "healthChecker.enabled" "postgresql.enabled" "identityPropagation.enabled" "integration.oauth.enabled" "integration.processExecution.mode" "metadataNamePrefixOverride" "port.ingestUrl" "probe.enabled" "secret.useExistingSecret" "selfSignedCertificate.useExistingSecret" "workload.cron.kubectlImage" "podServiceAccount.create" "liveEvents.initializePortResources" "liveEvents.isRedisStreamConsumerEnabled" "liveEvents.extraConfig" "liveEvents.extraLabels" "liveEvents.deployment" "liveEvents.ingress.enabled" "liveEvents.redis.credentialsSecretName" "liveEvents.worker.initializePortResources" "liveEvents.worker.extraContainers" -}}
{{- $value := $.Values -}}
{{- range splitList "." $path -}}
{{- $value = ternary (get (ternary $value dict (kindIs "map" $value)) .) "" (kindIs "map" $value) -}}
{{- end -}}
{{- if $value -}}
{{- $found = append $found $path -}}
{{- end -}}
{{- end -}}
{{- join ", " $found -}}
{{- end -}}

{{/*
Inline credentials set beside an existing Secret (secret.existingSecret, or secret.create=false
with secret.name), comma-separated. As in Port's chart, the existing Secret is what the pods
read and these values are ignored; NOTES.txt names them.
*/}}
{{- define "jira-integration.ignoredInlineCredentials" -}}
{{- $found := list -}}
{{- if not (include "jira-integration.createSecret" .) -}}
{{- if .Values.port.clientId -}}{{- $found = append $found "port.clientId" -}}{{- end -}}
{{- if .Values.port.clientSecret -}}{{- $found = append $found "port.clientSecret" -}}{{- end -}}
{{- range $key, $value := .Values.integration.secrets -}}
{{- if not (or (kindIs "invalid" $value) (eq (toString $value) "")) -}}
{{- $found = append $found (printf "integration.secrets.%s" $key) -}}
{{- end -}}
{{- end -}}
{{- if .Values.liveEvents.redis.password -}}{{- $found = append $found "liveEvents.redis.password" -}}{{- end -}}
{{- end -}}
{{- join ", " $found -}}
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
{{- if .Values.secret.existingSecret -}}
{{- if .Values.secret.name -}}
{{- fail "secret.existingSecret and secret.name are both set: name the existing Secret once (secret.existingSecret, or secret.create=false with secret.name)" -}}
{{- end -}}
{{- else if not .Values.secret.create -}}
{{- if not .Values.secret.name -}}
{{- fail "secret.create is false: set secret.name to the existing Secret(s) holding OCEAN__PORT__CLIENT_ID, OCEAN__PORT__CLIENT_SECRET and OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN" -}}
{{- end -}}
{{- else if kindIs "slice" .Values.secret.name -}}
{{- fail "secret.name is a list of existing Secrets: set secret.create=false (the chart renders one Secret, named by a string)" -}}
{{- end -}}
{{- if and (gt (int .Values.liveEvents.replicas) 0) .Values.liveEvents.worker.enabled -}}
{{- fail "liveEvents.replicas and liveEvents.worker.enabled are both set: size the live-events Deployment with one of them" -}}
{{- end -}}
{{- if and (eq .Values.workload.kind "Deployment") (not (kindIs "invalid" .Values.scheduledResyncInterval)) (not (include "jira-integration.resyncIntervalIsMinutes" .)) -}}
{{- fail (printf "scheduledResyncInterval %q is a cron expression, which only workload.kind=CronJob uses: give a Deployment the minutes between resyncs, e.g. 120" (toString .Values.scheduledResyncInterval)) -}}
{{- end -}}
{{- if and .Values.incrementalSync.enabled (not (include "jira-integration.incrementalMinutes" .)) -}}
{{- fail (printf "incrementalSync.interval %q: Ocean runs incremental syncs every 15, 30 or 60 minutes; use \"*/15 * * * *\", \"*/30 * * * *\" or \"0 * * * *\" (or 15, 30, 60)" (toString .Values.incrementalSync.interval)) -}}
{{- end -}}
{{- if and .Values.selfSignedCertificate.enabled (not .Values.selfSignedCertificate.secret.useExistingSecret) (not .Values.selfSignedCertificate.certificate) -}}
{{- fail "selfSignedCertificate.enabled: set selfSignedCertificate.certificate to the CA's PEM (--set-file selfSignedCertificate.certificate=ca.crt), or selfSignedCertificate.secret.useExistingSecret with secret.name" -}}
{{- end -}}
{{- if and .Values.selfSignedCertificate.enabled .Values.selfSignedCertificate.secret.useExistingSecret (not .Values.selfSignedCertificate.secret.name) -}}
{{- fail "selfSignedCertificate.secret.useExistingSecret: set selfSignedCertificate.secret.name to the Secret holding the CA" -}}
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
{{- if and .Values.ingress.enabled (not .Values.service.enabled) -}}
{{- fail "ingress.enabled routes to the Service: set service.enabled=true" -}}
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
Pod template shared by the main Deployment, the CronJobs and the live-events Deployment.
Call with (dict "root" $ "component" "sync|live-events|incremental" "eventListener" <map>
"oneShot" bool).
*/}}
{{- define "jira-integration.podTemplate" -}}
{{- $root := .root -}}
{{- $values := $root.Values -}}
{{- $certificate := $values.selfSignedCertificate -}}
{{- $resources := $values.resources -}}
{{- if and (eq .component "live-events") $values.liveEvents.worker.resources -}}
{{- $resources = $values.liveEvents.worker.resources -}}
{{- else if and (eq .component "incremental") $values.incrementalSync.resources -}}
{{- $resources = $values.incrementalSync.resources -}}
{{- end -}}
{{- $containerSecurity := mergeOverwrite (deepCopy ($values.securityContext | default dict)) ($values.containerSecurityContext | default dict) -}}
{{- $podAnnotations := $values.podAnnotations | default dict -}}
{{- if .oneShot -}}
{{- $podAnnotations = merge (dict) (($values.workload.cron).annotations | default dict) $podAnnotations -}}
{{- end -}}
metadata:
  labels:
    {{- include "jira-integration.selectorLabels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    {{- with $values.extraLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with $values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
    {{- if include "jira-integration.createSecret" $root }}
    checksum/secret: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
    {{- end }}
    {{- with $podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "jira-integration.serviceAccountName" $root }}
  automountServiceAccountToken: {{ $values.serviceAccount.automountServiceAccountToken }}
  {{- if not (kindIs "invalid" $values.terminationGracePeriodSeconds) }}
  terminationGracePeriodSeconds: {{ int $values.terminationGracePeriodSeconds }}
  {{- end }}
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
  {{- if or $values.extraInitContainers $certificate.enabled }}
  initContainers:
    {{- if $certificate.enabled }}
    # The image's CA bundle plus the self-signed CA, for SSL_CERT_FILE / REQUESTS_CA_BUNDLE
    # (the root filesystem stays read-only, so no update-ca-certificates at start).
    - name: ca-bundle
      image: {{ include "jira-integration.image" $root | quote }}
      imagePullPolicy: {{ include "jira-integration.imagePullPolicy" $root }}
      command:
        - sh
        - -c
        - cat /etc/ssl/certs/ca-certificates.crt /self-signed-ca/ca.crt > /ca-bundle/ca-certificates.crt
      {{- with $resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $containerSecurity }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: self-signed-ca
          mountPath: /self-signed-ca
          readOnly: true
        - name: ca-bundle
          mountPath: /ca-bundle
    {{- end }}
    {{- with $values.extraInitContainers }}
    {{- tpl (toYaml .) $root | nindent 4 }}
    {{- end }}
  {{- end }}
  {{- with $values.dnsPolicy }}
  dnsPolicy: {{ . }}
  {{- end }}
  {{- with $values.dnsConfig }}
  dnsConfig:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: {{ $root.Chart.Name }}
      image: {{ include "jira-integration.image" $root | quote }}
      imagePullPolicy: {{ include "jira-integration.imagePullPolicy" $root }}
      ports:
        - name: http
          containerPort: 8000
          protocol: TCP
      envFrom:
        - configMapRef:
            name: {{ include "jira-integration.fullname" $root }}
        {{- range include "jira-integration.secretRefs" $root | fromJsonArray }}
        - secretRef:
            name: {{ . }}
        {{- end }}
      env:
        - name: OCEAN__EVENT_LISTENER
          value: {{ include "jira-integration.eventListenerJson" (dict "listener" .eventListener) | quote }}
        {{- if eq .component "incremental" }}
        - name: OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED
          value: "true"
        - name: OCEAN__INTEGRATION__INCREMENTAL_SYNC_INTERVAL
          value: {{ include "jira-integration.incrementalMinutes" $root | quote }}
        - name: OCEAN__INITIALIZE_PORT_RESOURCES
          value: {{ $values.incrementalSync.initializePortResources | toString | quote }}
        {{- range $name, $value := include "jira-integration.extraConfigEnv" $values.incrementalSync.extraConfig | fromJson }}
        - name: {{ $name }}
          value: {{ $value | quote }}
        {{- end }}
        {{- end }}
        {{- if eq .component "live-events" }}
        # Replicas start together: only the main workload creates the default blueprints and
        # mapping (the integration enforces it for WEBHOOKS_ONLY in any chart), and only it
        # registers the Jira webhook.
        - name: OCEAN__INITIALIZE_PORT_RESOURCES
          value: "false"
        {{- end }}
        {{- if $certificate.enabled }}
        - name: SSL_CERT_FILE
          value: /ca-bundle/ca-certificates.crt
        - name: REQUESTS_CA_BUNDLE
          value: /ca-bundle/ca-certificates.crt
        {{- end }}
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
        {{- tpl (toYaml .) $root | nindent 8 }}
        {{- end }}
      {{- if not .oneShot }}
      {{- range $name := list "livenessProbe" "readinessProbe" }}
      {{- $probe := get $values $name }}
      {{- if and $probe (ne (toString $probe.enabled) "false") }}
      {{ $name }}:
        {{- toYaml (omit $probe "enabled") | nindent 8 }}
      {{- end }}
      {{- end }}
      {{- end }}
      {{- with $resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $containerSecurity }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        # HOME (Ocean's caches); its own volume so it exists on an otherwise empty /tmp.
        - name: home
          mountPath: /tmp/ocean
        {{- if $certificate.enabled }}
        - name: ca-bundle
          mountPath: /ca-bundle
          readOnly: true
        {{- end }}
        {{- with $values.extraVolumeMounts }}
        {{- tpl (toYaml .) $root | nindent 8 }}
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
    {{- if $certificate.enabled }}
    - name: self-signed-ca
      secret:
        secretName: {{ ternary $certificate.secret.name (printf "%s-ca" (include "jira-integration.fullname" $root)) (and $certificate.secret.useExistingSecret (ne $certificate.secret.name "")) }}
        items:
          - key: {{ ternary ($certificate.secret.key | default "crt") "crt" (and $certificate.secret.useExistingSecret (ne $certificate.secret.name "")) }}
            path: ca.crt
    - name: ca-bundle
      emptyDir:
        sizeLimit: 16Mi
    {{- end }}
    {{- with $values.extraVolumes }}
    {{- tpl (toYaml .) $root | nindent 4 }}
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
