/**
 * Environment defaults of a local run, set before any handler module is loaded (Powertools reads them
 * when its logger and metrics are created): no JSON logs or EMF metrics on the terminal, no tracing,
 * no SDK warning about Node 20. Imported first by the local entry points; an explicit value wins.
 */
const defaults: Record<string, string> = {
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_SERVICE_NAME: 'spendcap-local',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
  // Without it, loading the X-Ray SDK (through the Powertools tracer) enables an async hook that tracks
  // every promise: it tripled the replay's CPU time and held hundreds of MB for a tracer that is off.
  AWS_XRAY_MANUAL_MODE: 'true',
};

for (const [name, value] of Object.entries(defaults)) {
  if (process.env[name] === undefined) process.env[name] = value;
}

export {};
