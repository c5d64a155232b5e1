using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using ScriptExec.Rpc.Sessions;
using ScriptExec.Store;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ScriptExec.Supervisor;
using ScriptExec.Supervisor.Processes;
using ScriptExec.Supervisor.Triggers;
using ScriptExec.Supervisor.Workflows;

namespace ScriptExec.Daemon;

/// <summary>Builds scriptexecd: a generic host with Kestrel serving the Unix socket and the WebSocket endpoint.</summary>
public static class DaemonHost
{
    /// <summary>Builds the daemon from its command line; <see cref="OptionsException"/> when the options are wrong.</summary>
    /// <param name="overrides">Registrations applied last (tests replace the clock with a fake one).</param>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? overrides = null)
    {
        IdleMemoryTrimService.HoldFreedNativeMemory();
        var commandLine = CommandLine.Parse(args);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            // The builder loads an appsettings.json beside the binary at once, watched for changes by default: an
            // inotify thread for good, though the sources are cleared below. Ours are read once (reloadOnChange: false).
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });

        // Ours alone, in order of precedence: config file < SCRIPTEXEC_* environment < command line.
        builder.Configuration.Sources.Clear();
        var configFile = commandLine.GetValueOrDefault("config") ?? Environment.GetEnvironmentVariable("SCRIPTEXEC_CONFIG");
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new OptionsException($"config: {configFile} does not exist");
            }

            try
            {
                builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
            }
            catch (Exception e) when (e is InvalidDataException or FormatException)
            {
                // Malformed JSON or a key given twice: a configuration mistake like any other, not a crash.
                throw new OptionsException($"config: {configFile}: {e.InnerException?.Message ?? e.Message}");
            }
        }

        builder.Configuration.AddEnvironmentVariables("SCRIPTEXEC_");
        builder.Configuration.AddInMemoryCollection(commandLine);
        var options = ReadOptions(builder.Configuration, configFile);
        var budget = DrawUpDescriptorBudget(options);

        // Others may pass through (0711) to their run-as script copies, never list; the store and token stay 0600.
        Directory.CreateDirectory(options.DataDirectory);
        File.SetUnixFileMode(options.DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        UnixSocketFile.Prepare(options.SocketPath);
        var tokens = TokenAuthenticator.Create(options);

        DaemonLog.AddTo(builder.Logging);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Host.UseSystemd();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);

        AddServices(builder.Services, options, tokens);
        MetricsEndpoint.AddServices(builder.Services, options.Metrics);
        builder.Services.AddSingleton(budget);
        overrides?.Invoke(builder.Services);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // No Kestrel MaxConcurrentConnections/MaxConcurrentUpgradedConnections: ConnectionLimit's gates count
            // every connection of both endpoints and refuse with a word, where Kestrel drops sockets silently or makes
            // the upgrade throw. Upgraded connections are a subset of what the gates count.
            kestrel.ListenUnixSocket(options.SocketPath, listen => listen
                .Use(next => listen.ApplicationServices.GetRequiredService<ConnectionLimit>().UnixSocketGate(next))
                .UseConnectionHandler<UnixSocketConnectionHandler>());
            if (options.Listen is { } uri)
            {
                var address = uri.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(uri.Host.Trim('[', ']'));
                kestrel.Listen(address, uri.Port, listen =>
                {
                    // Ahead of TLS and HTTP: a connection over the cap costs no handshake and no request parsing.
                    listen.Use(next => listen.ApplicationServices.GetRequiredService<ConnectionLimit>().TcpGate(next, tls: uri.Scheme == "https"));
                    if (uri.Scheme == "https")
                    {
                        listen.UseHttps(X509Certificate2.CreateFromPemFile(options.TlsCertificate!, options.TlsKey));
                    }
                });
            }

            MetricsEndpoint.Listen(kestrel, options.Metrics);
        });

        var app = builder.Build();
        app.Use(TimedUpgradeFeature.Middleware(options.MessageTimeout, app.Services.GetRequiredService<TimeProvider>()));
        MetricsEndpoint.Map(app, options);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.Map(WebSocketEndpoint.Path, static (HttpContext context) => context.RequestServices.GetRequiredService<WebSocketEndpoint>().HandleAsync(context));
        if (options.ManagementPage)
        {
            ManagementPage.Map(app);
        }

        AssemblyPreload.BuildEndpoints(app);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            UnixSocketFile.Restrict(options.SocketPath, options.SocketGroup);
            budget.Remeasure();
            Log.DescriptorBudget(
                app.Services.GetRequiredService<ILogger<DescriptorBudget>>(), budget.Limit, budget.InUse, budget.Reserve, budget.ConnectionCap);
            Log.Ready(
                app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("scriptexecd"),
                app.Services.GetRequiredService<RpcServerInfo>().Version,
                options.SocketPath,
                options.Listen is { } uri ? $"{(uri.Scheme == "https" ? "wss" : "ws")}://{uri.Authority}{WebSocketEndpoint.Path}" : "disabled",
                options.DataDirectory,
                tokens.GeneratedTokenPath ?? "(tokens configured)");
        });
        return app;
    }

    /// <summary>The options; with a config file, a key in it that nothing reads is named before any other complaint.</summary>
    private static DaemonOptions ReadOptions(IConfiguration configuration, string? configFile)
    {
        if (configFile is not null)
        {
            // Reading the defaults asks for every key there is: the known keys come from the reader itself.
            var known = new ConfigFileKeys.Recorder(new ConfigurationBuilder().Build());
            DaemonOptions.From(known);
            ConfigFileKeys.Check(configFile, known);
        }

        return DaemonOptions.From(configuration);
    }

    /// <summary>
    /// Raises the open-file limit as far as allowed, loads every assembly while descriptors are plentiful, then
    /// counts what is left for connections; <see cref="OptionsException"/> when too little is.
    /// </summary>
    private static DescriptorBudget DrawUpDescriptorBudget(DaemonOptions options)
    {
        var limit = DescriptorBudget.RaiseSoftLimit();
        AssemblyPreload.LoadServingPath();
        return DescriptorBudget.BeforeStart(limit, options.MaxConcurrentExecutions, options.MaxConnections);
    }

    private static void AddServices(IServiceCollection services, DaemonOptions options, TokenAuthenticator tokens)
    {
        services.AddSingleton(options);
        services.AddSingleton(tokens);
        services.AddSingleton<IBearerTokens>(tokens);
        services.AddSingleton<UnixPeerRoles>();
        services.AddSingleton(new StoreOptions
        {
            DatabasePath = options.DatabasePath,
            Synchronous = options.StoreSynchronous,
            ReservePath = options.ReservePath,
        });
        services.AddSingleton(new SupervisorOptions
        {
            ScriptDirectory = options.ScriptDirectory,
            MaxConcurrentExecutions = options.MaxConcurrentExecutions,
            OutputMaxBytesPerExecution = options.OutputMaxBytesPerExecution,
            OutputLineCapBytes = options.OutputLineCapBytes,
            OutputBudget = options.OutputBudget,
            Cgroup = options.Cgroup,
            WorkDirectory = Path.Combine(options.DataDirectory, "work"),
            DefaultLimits = options.DefaultLimits,
            WorkdirQuotaMb = options.WorkdirQuotaMb > 0 ? options.WorkdirQuotaMb : null,
            ControlSocketPath = options.SocketPath,
            ControlUrl = options.Listen is { } listen ? new UriBuilder(listen) { Scheme = listen.Scheme == "https" ? "wss" : "ws", Path = "/rpc" }.Uri.ToString() : null,
        });
        services.AddSingleton<SqliteDatabase>();
        services.AddSingleton<UnloadableRows>();
        services.AddSingleton<ScriptStore>();
        services.AddSingleton<ExecutionStore>();
        services.AddSingleton<OutputStore>();
        services.AddSingleton<ExecutionSupervisor>();
        services.AddSingleton<StateStore>();
        services.AddSingleton<RebootStore>();
        services.TryAddSingleton(new BootIdSource());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ExecutionControl>();
        services.AddSingleton<TriggerEngine>();
        services.AddSingleton<ScriptCatalog>();
        services.AddSingleton<RetentionStore>();
        services.AddSingleton(new RetentionOptions
        {
            MaxExecutions = options.RetentionMaxExecutions > 0 ? options.RetentionMaxExecutions : null,
            MaxAge = options.RetentionMaxAgeDays > 0 ? TimeSpan.FromDays(options.RetentionMaxAgeDays) : null,
            MaxOutputBytes = options.RetentionMaxOutputBytes > 0 ? options.RetentionMaxOutputBytes : null,
        });
        services.AddSingleton<ExecutionRetention>();
        services.AddHostedService<RetentionService>();
        services.AddSingleton(sp => new RpcServerInfo(sp.GetRequiredService<TimeProvider>()) { MaxMessageBytes = options.MaxMessageBytes });
        services.AddSingleton<RpcBackend>();
        services.AddSingleton<WebSocketEndpoint>();
        services.AddSingleton<ConnectionLimit>();
        services.AddHostedService<ExecutionLifetimeService>();
        services.AddHostedService<IdleMemoryTrimService>();
        if (options.Mqtt is { } mqtt)
        {
            services.AddSingleton(mqtt);
            services.AddHostedService<Fleet.MqttChannel>();
        }

        if (options.Outbound is { } outbound)
        {
            services.AddSingleton(outbound);
            services.AddHostedService<Fleet.OutboundWebSocketChannel>();
        }
    }
}
