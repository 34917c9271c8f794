{{/*
Named templates. Those whose name starts with `sluice.sidecar.` are the public interface for
adding Sluice to an existing workload as a native sidecar; they need only `.Values` (this
chart's values) and `.Release`, so a parent chart calls them with
  (dict "Values" .Values.sluice "Release" .Release)
where `sluice` is the name (or alias) of this chart among its dependencies. The others are
internal and may change.
*/}}

{{/* The chart name, or nameOverride. Not .Chart.Name: the sidecar templates run in a parent
chart's context, where .Chart is the parent. */}}
{{- define "sluice.name" -}}
{{- default "sluice" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "sluice.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Kept equal to Chart.yaml's appVersion (helm/ci.sh checks it): the default image tag when
the templates run in a parent chart's context. */}}
{{- define "sluice.appVersion" -}}0.1.0{{- end -}}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sluice.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- end -}}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sluice.image" -}}
{{- $tag := .Values.image.tag | default (include "sluice.appVersion" .) -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "sluice.rulesConfigMap" -}}
{{- .Values.rules.existingConfigMap | default (printf "%s-rules" (include "sluice.fullname" .)) -}}
{{- end -}}

{{- define "sluice.policyConfigMap" -}}
{{- .Values.policy.existingConfigMap | default (printf "%s-policy" (include "sluice.fullname" .)) -}}
{{- end -}}

{{/*
The static proxy configuration (sluice.yaml): `.Values.config` with the keys the chart owns
laid over it (listen address and TLS, upstream URL and TLS, rule directory, admin listener).
*/}}
{{- define "sluice.configYaml" -}}
{{- $v := .Values -}}
{{- $listen := dict "addr" (printf "0.0.0.0:%d" (int $v.ports.proxy)) -}}
{{- if $v.tls.server.enabled -}}
{{- $tls := dict "cert" "/etc/sluice/tls/server/tls.crt" "key" "/etc/sluice/tls/server/tls.key" -}}
{{- if $v.tls.server.clientCA -}}
{{- $_ := set $tls "client_ca" "/etc/sluice/tls/server/ca.crt" -}}
{{- $_ := set $tls "client_cert_required" $v.tls.server.clientCertRequired -}}
{{- end -}}
{{- $_ := set $listen "tls" $tls -}}
{{- end -}}
{{- $url := "" -}}
{{- if eq $v.mode "sidecar" -}}
{{- $url = printf "http://127.0.0.1:%d" (int $v.upstream.appPort) -}}
{{- else -}}
{{- $url = required "upstream.url is required in gateway mode (the existing Service Sluice protects, e.g. http://exchange-api.gov.svc:8080)" $v.upstream.url -}}
{{- end -}}
{{- $upstream := dict "url" $url -}}
{{- if $v.tls.upstream.enabled -}}
{{- $utls := dict "ca" "/etc/sluice/tls/upstream/ca.crt" -}}
{{- with $v.tls.upstream.serverName -}}{{- $_ := set $utls "server_name" . -}}{{- end -}}
{{- if $v.tls.upstream.clientCert -}}
{{- $_ := set $utls "client_cert" "/etc/sluice/tls/upstream/tls.crt" -}}
{{- $_ := set $utls "client_key" "/etc/sluice/tls/upstream/tls.key" -}}
{{- end -}}
{{- $_ := set $upstream "tls" $utls -}}
{{- end -}}
{{- $admin := dict "listen" (printf "0.0.0.0:%d" (int $v.ports.admin)) -}}
{{- $cfg := deepCopy ($v.config | default dict) -}}
{{- if (($v.admin).tokenSecret).name -}}
{{- if hasKey ($cfg.admin | default dict) "token" -}}
{{- fail "config.admin.token and admin.tokenSecret are both set: keep the token in the Secret only" -}}
{{- end -}}
{{- /* The proxy reads a token file (a mounted Secret) at start; the token never enters the ConfigMap. */ -}}
{{- $_ := set $admin "token_file" "/etc/sluice/admin/token" -}}
{{- end -}}
{{- include "sluice.checkAudit" (dict "cfg" $cfg "storage" $v.auditStorage) -}}
{{- $rules := dict "builtin" $v.rules.builtin "dir" "/etc/sluice/rules" -}}
{{- $keys := $v.keys | default dict -}}
{{- if ($keys.tokenSecret).name -}}
{{- if hasKey ($cfg.rules | default dict) "token_key_file" -}}
{{- fail "config.rules.token_key_file and keys.tokenSecret are both set: use keys.tokenSecret" -}}
{{- end -}}
{{- $_ := set $rules "token_key_file" "/etc/sluice/keys/token" -}}
{{- end -}}
{{- if ($keys.auditSecret).name -}}
{{- if not $cfg.audit -}}
{{- fail "keys.auditSecret keys the audit trail: configure it in config.audit" -}}
{{- end -}}
{{- if hasKey $cfg.audit "key_file" -}}
{{- fail "config.audit.key_file and keys.auditSecret are both set: use keys.auditSecret" -}}
{{- end -}}
{{- $_ := set $cfg.audit "key_file" "/etc/sluice/keys/audit" -}}
{{- end -}}
{{- $owned := dict
  "listen" $listen
  "upstream" $upstream
  "rules" $rules
  "admin" $admin
-}}
{{- mergeOverwrite $cfg $owned | toYaml -}}
{{- end -}}

{{/* A file audit sink must write inside the audit volume: the root filesystem is read-only,
and a trail outside the volume would fail at the first record instead of at install time.
Called with (dict "cfg" <config> "storage" <auditStorage>); renders nothing. */}}
{{- define "sluice.checkAudit" -}}
{{- $audit := .cfg.audit | default dict -}}
{{- $sink := $audit.sink | default dict -}}
{{- if and (ne (toString $audit.enabled) "false") (eq (toString $sink.kind) "file") -}}
{{- $st := .storage | default dict -}}
{{- if eq (default "none" $st.type) "none" -}}
{{- fail "config.audit.sink.kind is file but auditStorage.type is none: set auditStorage.type (emptyDir or persistentVolumeClaim), or use kind: stdout" -}}
{{- end -}}
{{- if not $sink.path -}}
{{- fail "config.audit.sink.kind is file: set config.audit.sink.path (a file under auditStorage.mountPath)" -}}
{{- end -}}
{{- $dir := trimSuffix "/" $st.mountPath -}}
{{- if not (hasPrefix (printf "%s/" $dir) (toString $sink.path)) -}}
{{- fail (printf "config.audit.sink.path %q must be a file under auditStorage.mountPath %q" (toString $sink.path) $dir) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The container, shared by the gateway Deployment and the native sidecar.
Called with (dict "root" <context> "sidecar" <bool>). */}}
{{- define "sluice.container" -}}
{{- $ := .root -}}
{{- $v := $.Values -}}
name: sluice
image: {{ include "sluice.image" $ | quote }}
imagePullPolicy: {{ $v.image.pullPolicy }}
{{- if .sidecar }}
restartPolicy: Always
{{- end }}
args: ["run", "--config", "/etc/sluice/config/sluice.yaml"]
ports:
  - name: sluice
    containerPort: {{ $v.ports.proxy }}
    protocol: TCP
  - name: sluice-admin
    containerPort: {{ $v.ports.admin }}
    protocol: TCP
{{- $pvc := eq (($v.auditStorage).type | default "none") "persistentVolumeClaim" }}
{{- if or $v.env $pvc }}
env:
  {{- if $pvc }}
  # The audit volume's per-pod sub-directory (subPathExpr below): one hash chain per writer.
  - name: SLUICE_POD_NAME
    valueFrom:
      fieldRef: {fieldPath: metadata.name}
  {{- end }}
  {{- with $v.env }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- with $v.securityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $v.probes.startup.enabled }}
startupProbe:
  httpGet: {path: /healthz, port: sluice-admin}
  periodSeconds: {{ $v.probes.startup.periodSeconds }}
  failureThreshold: {{ $v.probes.startup.failureThreshold }}
{{- end }}
livenessProbe:
  httpGet: {path: /healthz, port: sluice-admin}
  periodSeconds: {{ $v.probes.liveness.periodSeconds }}
  timeoutSeconds: {{ $v.probes.liveness.timeoutSeconds }}
  failureThreshold: {{ $v.probes.liveness.failureThreshold }}
readinessProbe:
  httpGet: {path: /readyz, port: sluice-admin}
  periodSeconds: {{ $v.probes.readiness.periodSeconds }}
  timeoutSeconds: {{ $v.probes.readiness.timeoutSeconds }}
  failureThreshold: {{ $v.probes.readiness.failureThreshold }}
volumeMounts:
  # Whole directories, never subPath: a subPath mount is not updated when its ConfigMap changes.
  - {name: sluice-config, mountPath: /etc/sluice/config, readOnly: true}
  - {name: sluice-rules, mountPath: /etc/sluice/rules, readOnly: true}
  - {name: sluice-policy, mountPath: /etc/sluice/policy, readOnly: true}
  {{- if $v.tls.server.enabled }}
  - {name: sluice-tls-server, mountPath: /etc/sluice/tls/server, readOnly: true}
  {{- end }}
  {{- if $v.tls.upstream.enabled }}
  - {name: sluice-tls-upstream, mountPath: /etc/sluice/tls/upstream, readOnly: true}
  {{- end }}
  {{- if (($v.admin).tokenSecret).name }}
  - {name: sluice-admin-token, mountPath: /etc/sluice/admin, readOnly: true}
  {{- end }}
  {{- if or ((($v.keys).tokenSecret).name) ((($v.keys).auditSecret).name) }}
  - {name: sluice-keys, mountPath: /etc/sluice/keys, readOnly: true}
  {{- end }}
  {{- if ne (($v.auditStorage).type | default "none") "none" }}
  - name: sluice-audit
    mountPath: {{ $v.auditStorage.mountPath }}
    {{- if $pvc }}
    subPathExpr: $(SLUICE_POD_NAME)
    {{- end }}
  {{- end }}
  - {name: sluice-tmp, mountPath: /tmp}
  {{- with $v.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* The pod volumes the container mounts. Called with the root context. */}}
{{- define "sluice.volumesList" -}}
{{- $v := .Values -}}
- name: sluice-config
  configMap:
    name: {{ include "sluice.fullname" . }}-config
- name: sluice-rules
  configMap:
    name: {{ include "sluice.rulesConfigMap" . }}
- name: sluice-policy
  configMap:
    name: {{ include "sluice.policyConfigMap" . }}
{{- if $v.tls.server.enabled }}
- name: sluice-tls-server
  secret:
    secretName: {{ required "tls.server.secretName is required when tls.server.enabled" $v.tls.server.secretName }}
    defaultMode: 0440
{{- end }}
{{- if $v.tls.upstream.enabled }}
- name: sluice-tls-upstream
  secret:
    secretName: {{ required "tls.upstream.secretName is required when tls.upstream.enabled" $v.tls.upstream.secretName }}
    defaultMode: 0440
{{- end }}
{{- with (($v.admin).tokenSecret).name }}
- name: sluice-admin-token
  secret:
    secretName: {{ . }}
    # 0444, not 0440: in sidecar mode the workload's pod may set no fsGroup, and a root-owned
    # 0440 file would be unreadable to Sluice's user. Only the sluice container mounts it.
    defaultMode: 0444
    items:
      - {key: {{ $v.admin.tokenSecret.key | default "token" }}, path: token}
{{- end }}
{{- $tk := (($v.keys).tokenSecret) | default dict }}
{{- $ak := (($v.keys).auditSecret) | default dict }}
{{- if or $tk.name $ak.name }}
- name: sluice-keys
  projected:
    # 0444 for the reason given for the admin token above; only the sluice container mounts it.
    defaultMode: 0444
    sources:
      {{- with $tk.name }}
      - secret:
          name: {{ . }}
          items:
            - {key: {{ $tk.key | default "key" }}, path: token}
      {{- end }}
      {{- with $ak.name }}
      - secret:
          name: {{ . }}
          items:
            - {key: {{ $ak.key | default "key" }}, path: audit}
      {{- end }}
{{- end }}
{{- $as := $v.auditStorage | default dict }}
{{- if eq ($as.type | default "none") "emptyDir" }}
- name: sluice-audit
  emptyDir:
    {{- with ($as.emptyDir).sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
{{- else if eq ($as.type | default "none") "persistentVolumeClaim" }}
- name: sluice-audit
  persistentVolumeClaim:
    claimName: {{ required "auditStorage.persistentVolumeClaim.claimName is required when auditStorage.type is persistentVolumeClaim" ($as.persistentVolumeClaim).claimName }}
{{- end }}
- name: sluice-tmp
  emptyDir:
    medium: Memory
    sizeLimit: 16Mi
{{- with $v.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
PUBLIC. The native sidecar: one list item for a pod's `initContainers` (restartPolicy: Always,
so it starts before the application containers, runs beside them and stops after them).

  initContainers:
    {{- include "sluice.sidecar.initContainer" (dict "Values" .Values.sluice "Release" .Release) | nindent 4 }}
*/}}
{{- define "sluice.sidecar.initContainer" -}}
- {{ include "sluice.container" (dict "root" . "sidecar" true) | nindent 2 | trim }}
{{- end -}}

{{/*
PUBLIC. The volumes the sidecar mounts, as list items for the pod's `volumes`.

  volumes:
    {{- include "sluice.sidecar.volumes" (dict "Values" .Values.sluice "Release" .Release) | nindent 4 }}
*/}}
{{- define "sluice.sidecar.volumes" -}}
{{- include "sluice.volumesList" . -}}
{{- end -}}

{{/*
PUBLIC. A pod annotation that rolls the workload when the static proxy configuration changes
(rule packs and policy files are hot-reloaded and deliberately not part of it).

  annotations:
    {{- include "sluice.sidecar.podAnnotations" (dict "Values" .Values.sluice "Release" .Release) | nindent 4 }}
*/}}
{{- define "sluice.sidecar.podAnnotations" -}}
checksum/sluice-config: {{ include "sluice.configYaml" . | sha256sum }}
{{- end -}}

{{/* True (non-empty) when the Prometheus Operator CRDs are served. */}}
{{- define "sluice.hasMonitoringCRDs" -}}
{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" -}}true{{- end -}}
{{- end -}}
