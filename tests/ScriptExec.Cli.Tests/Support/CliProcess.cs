using System.Diagnostics;
using System.Text;

namespace ScriptExec.Cli.Tests.Support;

/// <summary>The CLI program the tests run as a child process, if any: <c>SCRIPTEXEC_CLI_BINARY</c>.</summary>
public static class CliBinary
{
    public const string Variable = "SCRIPTEXEC_CLI_BINARY";

    private static readonly Lazy<string?> Resolved = new(Resolve);

    /// <summary>The full path of the program, or null to run the CLI in-process.</summary>
    public static string? Path => Resolved.Value;

    private static string? Resolve()
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        // Set but wrong must not quietly test the in-process CLI instead of the artifact CI meant to test.
        var path = System.IO.Path.GetFullPath(value);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{Variable}={value}: no such file; unset it to run the CLI in-process");
        }

        TestContext.Progress.WriteLine($"scriptexec under test: {path} (child process, from {Variable})");
        return path;
    }
}

/// <summary>Starts the CLI program with arguments, standard input and environment, its output captured live.</summary>
internal static class CliProcess
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static RunningCli Start(string binary, string[] args, string? stdin, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = Utf8,
            StandardOutputEncoding = Utf8,
            StandardErrorEncoding = Utf8,
            UseShellExecute = false,
        };
        if (binary.EndsWith(".dll", StringComparison.Ordinal))
        {
            // The JIT build, run the way `dotnet scriptexec.dll` runs it (the host the test runner itself uses).
            start.FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
            start.ArgumentList.Add(binary);
        }
        else
        {
            start.FileName = binary;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // As in-process: the machine's SCRIPTEXEC_* variables are not seen, only the test's own.
        foreach (var name in start.Environment.Keys.Where(n => n.StartsWith("SCRIPTEXEC_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + binary);
        var stdout = new CapturedWriter();
        var stderr = new CapturedWriter();
        var exit = RunAsync(process, stdin, stdout, stderr);
        return new RunningCli(stdout, stderr, exit, () => Abandon(process));
    }

    private static async Task<int> RunAsync(Process process, string? stdin, CapturedWriter stdout, CapturedWriter stderr)
    {
        using (process)
        {
            var pumps = Task.WhenAll(PumpAsync(process.StandardOutput, stdout), PumpAsync(process.StandardError, stderr));
            try
            {
                await process.StandardInput.WriteAsync(stdin ?? string.Empty);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The CLI exited without reading its input (a usage error): what it printed says why.
            }

            await process.WaitForExitAsync();
            await pumps;
            return process.ExitCode;
        }
    }

    /// <summary>Copies output as it comes, so tests can wait for a line while the CLI still runs.</summary>
    private static async Task PumpAsync(StreamReader from, CapturedWriter to)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await from.ReadAsync(buffer)) > 0)
        {
            to.Write(buffer, 0, read);
        }
    }

    private static void Abandon(Process process)
    {
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // It has exited, or was disposed after exiting.
        }
    }
}
