using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ScriptExec.Store;

/// <summary>
/// Stored rows the daemon could not load (written by an older or damaged daemon, or edited by hand): each is
/// skipped, never allowed to stop the start, logged once with its key and reported by <c>status</c> until it is
/// set again, deleted or loads again. Kinds: <c>state_tree</c> (key: the xpath), <c>script</c> (the name),
/// <c>instance</c> and <c>instance_trigger</c> (<c>script/instance</c>).
/// </summary>
public sealed class UnloadableRows
{
    private readonly ConcurrentDictionary<(string Kind, string Key), string> _rows = new();
    private readonly ILogger<UnloadableRows> _logger;

    public UnloadableRows(ILogger<UnloadableRows> logger)
    {
        _logger = logger;
    }

    public int Count => _rows.Count;

    public void Report(string kind, string key, string reason)
    {
        if (_rows.TryGetValue((kind, key), out var known) && known == reason)
        {
            return;
        }

        _rows[(kind, key)] = reason;
        Log.RowUnloadable(_logger, kind, key, reason);
    }

    /// <summary>The row loads (again), or is gone.</summary>
    public void Clear(string kind, string key) => _rows.TryRemove((kind, key), out _);

    /// <summary>Forgets every report of <paramref name="kind"/> whose key starts with <paramref name="keyPrefix"/> (a deleted script's instances).</summary>
    public void ClearPrefix(string kind, string keyPrefix)
    {
        foreach (var key in _rows.Keys.Where(k => k.Kind == kind && k.Key.StartsWith(keyPrefix, StringComparison.Ordinal)))
        {
            _rows.TryRemove(key, out _);
        }
    }

    public IReadOnlyList<UnloadableRow> List() =>
        [.. _rows.Select(r => new UnloadableRow(r.Key.Kind, r.Key.Key, r.Value)).OrderBy(r => r.Kind, StringComparer.Ordinal).ThenBy(r => r.Key, StringComparer.Ordinal)];
}

/// <summary>One stored row that could not be loaded.</summary>
public sealed record UnloadableRow(string Kind, string Key, string Reason);
