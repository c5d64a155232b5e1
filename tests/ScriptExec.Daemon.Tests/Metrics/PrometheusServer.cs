using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests.Metrics;

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c>, installed with apt-get when missing) started on a free loopback port
/// with a temp TSDB and a scrape config for one target every second, bearer token from a file.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/prometheus";

    private readonly Process _process;
    private readonly string _directory;
    private readonly Queue<string> _log = new();

    private PrometheusServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    /// <summary>Prometheus's last log lines, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return string.Join('\n', _log);
            }
        }
    }

    /// <summary>Installs Prometheus when missing; ignores the test (with the reason) when that cannot be done.</summary>
    public static async Task EnsureInstalledAsync()
    {
        if (File.Exists(Binary))
        {
            return;
        }

        var start = new ProcessStartInfo("apt-get", ["install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300", "prometheus"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        string output;
        try
        {
            using var apt = Process.Start(start)!;
            var stdout = apt.StandardOutput.ReadToEndAsync();
            var stderr = apt.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            await apt.WaitForExitAsync(timeout.Token);
            output = await stdout + await stderr;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or OperationCanceledException)
        {
            output = e.Message;
        }

        if (!File.Exists(Binary))
        {
            Assert.Ignore($"Prometheus is not installed and apt-get could not install it:\n{output}");
        }
    }

    /// <summary>Starts Prometheus scraping <c>http://127.0.0.1:{targetPort}/metrics</c> every second with <paramref name="token"/>.</summary>
    public static async Task<PrometheusServer> StartAsync(int targetPort, string token)
    {
        await EnsureInstalledAsync();
        var directory = Directory.CreateTempSubdirectory("scriptexec-prometheus-").FullName;
        var tokenFile = Path.Combine(directory, "token");
        await File.WriteAllTextAsync(tokenFile, token);
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: scriptexecd
                metrics_path: /metrics
                authorization:
                  type: Bearer
                  credentials_file: {tokenFile}
                static_configs:
                  - targets: ['127.0.0.1:{targetPort}']
            """));

        var port = DaemonUnderTest.FreePort();
        var start = new ProcessStartInfo(Binary,
        [
            $"--config.file={config}",
            $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        var server = new PrometheusServer(Process.Start(start)!, directory, port);
        await Eventually.ThatAsync(server.IsReadyAsync, $"Prometheus to be ready on port {port}:\n{server.Log}", TimeSpan.FromSeconds(60));
        return server;
    }

    /// <summary>The instant vector of <paramref name="query"/> (<c>/api/v1/query</c>), as its samples' values.</summary>
    public async Task<IReadOnlyList<double>> QueryAsync(string query)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var reply = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}/api/v1/query?query={Uri.EscapeDataString(query)}")))!;
        Assert.That(reply["status"]?.GetValue<string>(), Is.EqualTo("success"), () => reply.ToJsonString());
        return [.. reply["data"]!["result"]!.AsArray().Select(r => double.Parse(r!["value"]![1]!.GetValue<string>(), CultureInfo.InvariantCulture))];
    }

    /// <summary>The health of the scrape target as Prometheus sees it (<c>/api/v1/targets</c>), with its last error.</summary>
    public async Task<string> TargetStateAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var reply = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}/api/v1/targets")))!;
        return string.Join("; ", reply["data"]!["activeTargets"]!.AsArray().Select(t => $"{t!["health"]} {t["lastError"]}"));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Its files may linger a moment; the temp dir is cleaned by the OS eventually.
        }
    }

    private async Task<bool> IsReadyAsync()
    {
        if (_process.HasExited)
        {
            Assert.Fail($"Prometheus exited with {_process.ExitCode}:\n{Log}");
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{Port}/-/ready"));
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            if (_log.Count > 100)
            {
                _log.Dequeue();
            }
        }
    }
}
