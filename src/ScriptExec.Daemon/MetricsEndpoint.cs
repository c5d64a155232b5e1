using System.Diagnostics.Metrics;
using System.Net;
using OpenTelemetry.Metrics;
using ScriptExec.Core;
using ScriptExec.Core.Metrics;
using ScriptExec.Rpc.Sessions;
using ScriptExec.Store;
using ScriptExec.Supervisor;
using ScriptExec.Supervisor.Triggers;

namespace ScriptExec.Daemon;

/// <summary>
/// <c>GET /metrics</c>: the ScriptExec meter in Prometheus text format (OpenMetrics when asked for), through the
/// OpenTelemetry Prometheus exporter. Protected as <c>/rpc</c> is: a bearer token (<c>Authorization: Bearer</c>) of
/// any role, or a running script's token; otherwise 401. Served on the WebSocket listener, or on
/// <c>metrics.listen</c> alone when configured (where every other path is 404).
/// </summary>
internal static class MetricsEndpoint
{
    // Label sets kept per instrument; one beyond lands in a single overflow series (otel_metric_overflow="true")
    // instead of growing memory. The exporter preallocates this many points per instrument (its default, 2000, costs
    // about a MiB over our instruments), so: enough for the per-instance instruments (instances x trigger types or
    // exit statuses) on a device, and a handful for the observed ones, whose label values are fixed in code.
    private const int PerInstanceCardinalityLimit = 512;
    private const int FixedLabelsCardinalityLimit = 16;

    public static void AddServices(IServiceCollection services, MetricsOptions options)
    {
        if (!options.Enabled)
        {
            return;
        }

        services.AddSingleton<ScriptExecMetrics>();
        // The listener subscribes to meters by name, process-wide: two hosts in one process (tests) would see each
        // other's instruments, so tests that read /metrics run the daemon as its own process.
        services.AddOpenTelemetry().WithMetrics(provider => provider
            .AddMeter(ScriptExecMetrics.MeterName)
            .SetExemplarFilter(ExemplarFilterType.AlwaysOff)
            .AddView(static instrument => new MetricStreamConfiguration
            {
                CardinalityLimit = instrument is Counter<long> or Histogram<double> ? PerInstanceCardinalityLimit : FixedLabelsCardinalityLimit,
            })
            .AddPrometheusExporter(o =>
            {
                o.ScrapeEndpointPath = MetricsOptions.Path;

                // Every family is ours and starts with scriptexec_: no target_info, no otel_scope_* labels.
                o.TargetInfoEnabled = false;
                o.ScopeInfoEnabled = false;

                // A scrape sees the counts as they are now (a device is scraped by few).
                o.ScrapeResponseCacheDurationMilliseconds = 0;
            }));
    }

    /// <summary>The separate listener, when <c>metrics.listen</c> names one.</summary>
    public static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, MetricsOptions options)
    {
        if (options is { Enabled: true, Listen: { } uri })
        {
            var address = uri.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(uri.Host.Trim('[', ']'));
            kestrel.Listen(address, uri.Port, listen =>
                listen.Use(next => listen.ApplicationServices.GetRequiredService<ConnectionLimit>().TcpGate(next, tls: false)));
        }
    }

    /// <summary>Maps the endpoint and registers the observable instruments; nothing when metrics are off.</summary>
    public static void Map(WebApplication app, DaemonOptions options)
    {
        var metrics = options.Metrics;
        if (!metrics.Enabled || (metrics.Listen ?? options.Listen) is not { } served)
        {
            return;
        }

        ObserveCounts(app.Services);
        var port = served.Port;
        var tokens = app.Services.GetRequiredService<TokenAuthenticator>();
        var supervisor = app.Services.GetRequiredService<ExecutionSupervisor>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MetricsEndpoint).FullName!);
        var ownListener = metrics.Listen is not null;
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider: null,
            predicate: context => context.Connection.LocalPort == port && (ownListener || context.Request.Path == MetricsOptions.Path),
            path: null,
            configureBranchedPipeline: branch => branch.Use(async (context, next) =>
            {
                if (context.Request.Path != MetricsOptions.Path)
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }

                if (!Authorized(context.Request, tokens, supervisor))
                {
                    Log.MetricsTokenRefused(logger, context.Connection.RemoteIpAddress?.ToString() ?? "?");
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    return;
                }

                await next(context);
            }),
            optionsName: null);
        app.Lifetime.ApplicationStarted.Register(() =>
            Log.MetricsServed(logger, $"{served.Scheme}://{served.Authority}{MetricsOptions.Path}"));
    }

    /// <summary>A configured token (every role may read metrics: viewer is the least) or a running script's token.</summary>
    private static bool Authorized(HttpRequest request, TokenAuthenticator tokens, ExecutionSupervisor supervisor)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = header["Bearer ".Length..].Trim();
        return tokens.Authenticate(presented) is not null || supervisor.Tokens.TryValidate(presented, out _);
    }

    /// <summary>
    /// What the daemon counts anyway, read only when a scrape collects: running executions, clients, trigger fires and
    /// skips, output stored and dropped, store size. The run path pays nothing for these.
    /// </summary>
    private static void ObserveCounts(IServiceProvider services)
    {
        var meter = services.GetRequiredService<ScriptExecMetrics>().Meter;
        var supervisor = services.GetRequiredService<ExecutionSupervisor>();
        var server = services.GetRequiredService<RpcServerInfo>();
        var triggers = services.GetRequiredService<TriggerEngine>();
        var output = services.GetRequiredService<OutputStore>();
        var database = services.GetRequiredService<SqliteDatabase>();
        const string prefix = ScriptExecMetrics.Prefix;

        meter.CreateObservableUpDownCounter(prefix + "executions_running", () =>
        {
            var counts = supervisor.Statistics.Current;
            return new Measurement<long>[]
            {
                new(counts.Running, new KeyValuePair<string, object?>("state", ExecutionState.Running.ToWire())),
                new(counts.Terminating, new KeyValuePair<string, object?>("state", ExecutionState.Terminating.ToWire())),
            };
        }, description: "Executions whose process is alive now, by state (running, terminating).");

        meter.CreateObservableUpDownCounter(prefix + "clients", () =>
            server.Clients.Snapshot().Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("transport", c.Key))),
            description: "Client connections now, by transport (unix, websocket, and any other channel that counts its clients).");

        meter.CreateObservableCounter(prefix + "trigger_fires", () =>
            TriggerTally.Types.Select(t => new Measurement<long>(triggers.Tally.FiredCount(t), new KeyValuePair<string, object?>("trigger", t.ToWire()))),
            description: "Triggers that fired, by trigger type (schedule, xpath).");

        meter.CreateObservableCounter(prefix + "trigger_skips", () =>
            TriggerTally.Types.SelectMany(t => TriggerTally.Reasons.Select(r => new Measurement<long>(
                triggers.Tally.SkippedCount(t, r),
                new KeyValuePair<string, object?>("trigger", t.ToWire()),
                new KeyValuePair<string, object?>("reason", TriggerTally.ToWire(r))))),
            description: "Trigger fires that started nothing, by trigger type and reason (overlap, catch_up_off, failed).");

        meter.CreateObservableCounter(prefix + "output_stored", () => output.StoredBytesTotal, unit: "By",
            description: "Captured output committed to the store (encoded chunks), in bytes.");

        meter.CreateObservableCounter(prefix + "output_dropped_lines", () => new Measurement<long>[]
        {
            new(supervisor.OutputBudget.DroppedLinesTotal, new KeyValuePair<string, object?>("reason", "budget")),
            new(database.Availability.Current.LostOutputLines, new KeyValuePair<string, object?>("reason", "store_refused")),
        }, description: "Captured lines not stored, by reason: over the output budget, or refused by the store (disk full, I/O error).");

        meter.CreateObservableGauge(prefix + "store_size", () => database.SizeBytes(), unit: "By",
            description: "Size of the SQLite store (database plus write-ahead log), in bytes.");
    }
}
