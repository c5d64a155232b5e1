using System.Text.Json;
using ScriptExec.Cli.Connection;

namespace ScriptExec.Cli.Output;

/// <summary>Which output streams <c>logs</c> shows.</summary>
internal enum StreamSelection
{
    Both,
    Stdout,
    Stderr,
}

/// <summary>
/// Prints output lines once each, in line-id order: stdout lines to stdout and stderr lines to stderr (or, with
/// <c>--json</c>, one JSON object per line on stdout). Remembers the last id seen, including lines of a stream
/// not shown, so callers can tell which lines are still missing.
/// </summary>
internal sealed class LinePrinter
{
    private readonly TextWriter _out;
    private readonly TextWriter _error;
    private readonly StreamSelection _selection;
    private readonly bool _json;
    private TextWriter? _lastWriter;

    public LinePrinter(TextWriter output, TextWriter error, StreamSelection selection, bool json)
    {
        _out = output;
        _error = error;
        _selection = selection;
        _json = json;
    }

    /// <summary>The highest line id printed or skipped so far (0 before the first).</summary>
    public long LastId { get; private set; }

    /// <summary>Treats every line up to <paramref name="id"/> as handled (<c>logs -n</c>: the ones before the tail).</summary>
    public void SkipTo(long id) => LastId = Math.Max(LastId, id);

    /// <summary>Prints <paramref name="line"/> unless a line with its id or a later one was already handled.</summary>
    public async Task PrintAsync(WireLine line, CancellationToken cancellationToken)
    {
        if (line.Id <= LastId)
        {
            return;
        }

        LastId = line.Id;
        var isStderr = line.Stream == "stderr";
        if ((_selection == StreamSelection.Stdout && isStderr) || (_selection == StreamSelection.Stderr && !isStderr))
        {
            return;
        }

        var writer = _json || !isStderr ? _out : _error;

        // Two separately buffered streams on one terminal: flush on every switch to keep the lines interleaved.
        if (_lastWriter is not null && _lastWriter != writer)
        {
            await _lastWriter.FlushAsync(cancellationToken);
        }

        _lastWriter = writer;
        var text = _json
            ? JsonSerializer.Serialize(new JsonOutputLine(line.Id, line.Stream, line.TimestampMs, line.Content), CliJsonContext.Default.JsonOutputLine)
            : line.Content;
        await writer.WriteLineAsync(text.AsMemory(), cancellationToken);
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _out.FlushAsync(cancellationToken);
        await _error.FlushAsync(cancellationToken);
    }
}

/// <summary>One output line as <c>logs --json</c> prints it; the members in this order, as scripts parsing it expect.</summary>
internal sealed record JsonOutputLine(long Id, string Stream, long TimestampMs, string Content);
