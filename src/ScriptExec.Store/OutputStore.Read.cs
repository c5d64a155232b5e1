using System.Text;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>Reading stored output back: a page of lines sliced out of the chunks that hold them.</summary>
public sealed partial class OutputStore
{
    // From the chunk holding the line after $after (the newest chunk starting at or before it), in line order: one
    // index seek, then a range. The caller stops reading once the page is full.
    private const string SelectSql = """
        SELECT first_line, line_count, streams, lines FROM output_chunks
        WHERE execution_id = $execution AND first_line >= COALESCE(
            (SELECT MAX(first_line) FROM output_chunks WHERE execution_id = $execution AND first_line <= $after), 0)
        ORDER BY first_line;
        """;

    /// <summary>Lines of an execution after <paramref name="afterId"/>, ascending; optionally one stream only.</summary>
    public IReadOnlyList<OutputLine> Read(long executionId, long afterId, int limit, OutputStreamKind? stream = null)
    {
        var lines = new List<OutputLine>(Math.Min(limit, 256));
        if (limit <= 0)
        {
            return lines;
        }

        using var connection = _db.OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = SelectSql;
        command.Parameters.AddWithValue("$execution", executionId);
        command.Parameters.AddWithValue("$after", afterId);
        using var reader = command.ExecuteReader();
        var wanted = stream is { } s ? OutputChunk.StreamBit(s) : -1;
        while (lines.Count < limit && reader.Read())
        {
            var first = reader.GetInt64(0);
            if (first + reader.GetInt64(1) - 1 <= afterId || (reader.GetInt32(2) & wanted) == 0)
            {
                continue;
            }

            // One copy of the BLOB per chunk read (the provider copies it whichever accessor is used).
            var chunk = new OutputChunkReader(reader.GetFieldValue<byte[]>(3), first);
            while (lines.Count < limit)
            {
                var id = chunk.NextLineId;
                if (!chunk.Next(out var lineStream, out var timestamp, out var content))
                {
                    break;
                }

                if (id > afterId && (stream is null || lineStream == stream))
                {
                    lines.Add(new OutputLine(id, Encoding.UTF8.GetString(content), lineStream, timestamp));
                }
            }
        }

        return lines;
    }
}
