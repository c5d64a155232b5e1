using System.Runtime.InteropServices;
using System.Text;
using ScriptExec.Cli.CommandLine;
using ScriptExec.Cli.Commands;
using ScriptExec.Cli.Output;

namespace ScriptExec.Cli;

/// <summary>The <c>scriptexec</c> entry point; <see cref="RunAsync(string[], TextWriter, TextWriter)"/> runs a command line in-process.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var interrupted = new CancellationTokenSource();

        // Ctrl-C: let the command unwind (close the connection, flush what was printed) instead of dying mid-write.
        // A signal registration, not Console.CancelKeyPress, which would set up the whole terminal to get there.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            interrupted.Cancel();
        });

        // Buffered: `logs` of a long run must not cost a write(2) per line. Commands flush where timing matters.
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        await using var stdout = new StreamWriter(StandardStream.Output, utf8, 64 * 1024) { AutoFlush = false };
        await using var stderr = new StreamWriter(StandardStream.Error, utf8) { AutoFlush = true };

        // Only `script set -` reads stdin; opening it here costs a dup(2), and nothing touches the terminal until a read.
        using var stdin = new StreamReader(Console.OpenStandardInput(), utf8, detectEncodingFromByteOrderMarks: false);
        return await RunAsync(args, stdout, stderr, stdin, Environment.GetEnvironmentVariable, interrupted.Token);
    }

    /// <summary>Runs one command line; returns the exit code. Environment variables are the process's own.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) =>
        RunAsync(args, stdout, stderr, TextReader.Null, Environment.GetEnvironmentVariable, CancellationToken.None);

    /// <summary>Runs one command line with explicit standard input, environment and cancellation (Ctrl-C).</summary>
    public static async Task<int> RunAsync(
        string[] args, TextWriter stdout, TextWriter stderr, TextReader stdin, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        try
        {
            var invocation = Invocation.Parse(args, CommandTable.All);
            if (invocation.Arguments.Has(GlobalOptions.Help))
            {
                return await HelpText.WriteAsync(stdout, cancellationToken);
            }

            if (invocation.Arguments.Has(GlobalOptions.Version))
            {
                await stdout.WriteLineAsync(HelpText.Version.AsMemory(), cancellationToken);
                return ExitCodes.Success;
            }

            if (invocation.Command is null)
            {
                throw new UsageException("missing command");
            }

            var context = new CommandContext(stdout, stderr, stdin, invocation.Arguments, environment, cancellationToken);
            return await invocation.Command.RunAsync(context, invocation.Arguments);
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"scriptexec: {e.Message}\nTry 'scriptexec --help' for more information.");
            return e.ExitCode;
        }
        catch (RpcErrorException e)
        {
            await stderr.WriteLineAsync("scriptexec: " + e.Describe());
            return e.ExitCode;
        }
        catch (CliException e)
        {
            await stderr.WriteLineAsync("scriptexec: " + e.Message);
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Interrupted;
        }
        catch (IOException e)
        {
            // Our own stdout or stderr failed (a closed pipe, a full disk): say so if stderr still works.
            await TryWriteAsync(stderr, "scriptexec: " + e.Message);
            return ExitCodes.Protocol;
        }
#pragma warning disable CA1031 // The last resort: a bug in the CLI must still end with exit code 4 and one line, not a stack trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            await TryWriteAsync(stderr, $"scriptexec: internal error: {e.GetType().Name}: {e.Message}");
            return ExitCodes.Protocol;
        }
        finally
        {
            await TryFlushAsync(stdout);
        }
    }

    private static async Task TryWriteAsync(TextWriter writer, string line)
    {
        try
        {
            await writer.WriteLineAsync(line);
        }
        catch (IOException)
        {
            // stderr is gone too.
        }
    }

    private static async Task TryFlushAsync(TextWriter writer)
    {
        try
        {
            await writer.FlushAsync();
        }
        catch (IOException)
        {
            // A closed pipe: what was not written cannot be.
        }
    }
}
