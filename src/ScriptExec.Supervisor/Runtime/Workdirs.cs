using System.Collections.Concurrent;
using ScriptExec.Core;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Runtime;

/// <summary>
/// Each instance's persistent working directory, <c>&lt;data dir&gt;/work/&lt;script&gt;/&lt;instance&gt;</c>: kept across
/// runs, owned by the user the instance runs as (mode 0700), deleted with its instance. Its size is reported in the
/// overview; the per-file quota is the <c>file_size_mb</c> limit (<see cref="ResourceLimits.DefaultWorkdirQuotaMb"/>).
/// </summary>
public sealed class Workdirs
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    // Others may pass through to the directory they own, never list what is there.
    private const UnixFileMode PassThrough = OwnerOnly | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>How old a running instance's size may be: the overview is in every start and stop reply.</summary>
    public static readonly TimeSpan RunningSizeMaxAge = TimeSpan.FromSeconds(1);

    private readonly string _root;
    private readonly TimeProvider _time;

    // Sizes of idle instances' directories as last walked: only a run (or a delete) changes an idle directory.
    // Forgotten when a run ends.
    private readonly ConcurrentDictionary<(string Script, string Instance), long> _idleSizes = new();

    // Sizes of running instances' directories and when they were walked: with 16 instances running, every start's
    // reply walked all 16 directories.
    private readonly ConcurrentDictionary<(string Script, string Instance), (long Size, long WalkedAt)> _runningSizes = new();

    public Workdirs(string root, TimeProvider? time = null)
    {
        _root = Path.GetFullPath(root);
        _time = time ?? TimeProvider.System;
    }

    public string PathOf(string scriptName, string instanceName) => Path.Combine(_root, scriptName, instanceName);

    /// <summary>Creates the directory if needed and gives it to <paramref name="user"/> (null: the daemon's own user).</summary>
    public string Ensure(string scriptName, string instanceName, string? user)
    {
        var scriptDir = Path.Combine(_root, scriptName);
        var dir = Path.Combine(scriptDir, instanceName);
        Directory.CreateDirectory(_root, PassThrough);
        Directory.CreateDirectory(scriptDir, PassThrough);
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, OwnerOnly);
        }

        if (user is not null)
        {
            var account = UnixAccounts.ByName(user) ?? throw new ScriptExecException(ErrorKind.NotFound, $"user '{user}' does not exist");
            if (NativeMethods.Chown(dir, account.Uid, account.Gid) != 0)
            {
                throw new IOException($"cannot give the working directory of {scriptName}/{instanceName} to user '{user}'");
            }
        }

        return dir;
    }

    /// <summary>
    /// Bytes in the directory's files, walked once while the instance is idle (<paramref name="running"/> false) and
    /// again after its next run; while it runs, walked again when the last walk is older than <see cref="RunningSizeMaxAge"/>.
    /// </summary>
    public long SizeBytes(string scriptName, string instanceName, bool running)
    {
        var key = (scriptName, instanceName);
        if (running)
        {
            var now = _time.GetTimestamp();
            if (_runningSizes.TryGetValue(key, out var walked) && _time.GetElapsedTime(walked.WalkedAt, now) < RunningSizeMaxAge)
            {
                return walked.Size;
            }

            var current = SizeBytes(scriptName, instanceName);
            _runningSizes[key] = (current, now);
            return current;
        }

        if (_idleSizes.TryGetValue(key, out var size))
        {
            return size;
        }

        size = SizeBytes(scriptName, instanceName);
        _idleSizes[key] = size;
        return size;
    }

    /// <summary>
    /// A run started in the directory: its idle size, still exact at this moment, becomes its running size (walked
    /// again once older than <see cref="RunningSizeMaxAge"/>).
    /// </summary>
    public void Started(string scriptName, string instanceName)
    {
        var key = (scriptName, instanceName);
        if (_idleSizes.TryRemove(key, out var size))
        {
            _runningSizes[key] = (size, _time.GetTimestamp());
        }
        else
        {
            _runningSizes.TryRemove(key, out _);
        }
    }

    /// <summary>A run ended in the directory: its size is walked again when next asked.</summary>
    public void Forget(string scriptName, string instanceName)
    {
        _idleSizes.TryRemove((scriptName, instanceName), out _);
        _runningSizes.TryRemove((scriptName, instanceName), out _);
    }

    /// <summary>Bytes in the directory's files (0 when it does not exist yet); what cannot be read is left out.</summary>
    public long SizeBytes(string scriptName, string instanceName)
    {
        var dir = new DirectoryInfo(PathOf(scriptName, instanceName));
        if (!dir.Exists)
        {
            return 0;
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        return dir.EnumerateFiles("*", options).Sum(f => f.Length);
    }

    /// <summary>Removes an instance's directory, or with a null <paramref name="instanceName"/> those of every instance of the script.</summary>
    public void Delete(string scriptName, string? instanceName)
    {
        var dir = instanceName is null ? Path.Combine(_root, scriptName) : PathOf(scriptName, instanceName);
        foreach (var key in _idleSizes.Keys.Concat(_runningSizes.Keys).Where(k => k.Script == scriptName && (instanceName is null || k.Instance == instanceName)))
        {
            Forget(key.Script, key.Instance);
        }

        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
