using System.Text;

namespace ScriptExec.Cli.Output;

/// <summary>A plain-text table: upper-case headers, columns padded to their widest cell, two spaces apart.</summary>
internal sealed class Table
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    public Table(params string[] headers) => _headers = headers;

    public void Add(params string[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"expected {_headers.Length} cells, got {cells.Length}", nameof(cells));
        }

        _rows.Add(cells);
    }

    public async Task WriteAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var widths = _headers.Select((h, i) => _rows.Select(r => r[i].Length).Prepend(h.Length).Max()).ToArray();
        await output.WriteAsync(Format(_headers, widths).AsMemory(), cancellationToken);
        foreach (var row in _rows)
        {
            await output.WriteAsync(Format(row, widths).AsMemory(), cancellationToken);
        }
    }

    private static string Format(string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            // The last column is not padded: no trailing blanks for grep and diff.
            line.Append(i == cells.Length - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
        }

        return line.Append('\n').ToString();
    }
}
