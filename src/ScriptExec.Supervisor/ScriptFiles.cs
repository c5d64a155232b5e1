using ScriptExec.Core;

namespace ScriptExec.Supervisor;

/// <summary>
/// Script sources as files, one per version (<c>scripts/NAME/VERSION</c>, mode 0750), so a run always executes the
/// exact version it recorded, even if the source changes while it runs.
/// </summary>
public sealed partial class ScriptFiles
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    private readonly string _root;

    public ScriptFiles(string root)
    {
        _root = root;
        Directory.CreateDirectory(root, DirectoryMode);
    }

    /// <summary>The file of <paramref name="script"/>'s current version, written if missing.</summary>
    public string Materialize(ScriptDefinition script)
    {
        var dir = Path.Combine(_root, script.Name);
        var path = Path.Combine(dir, script.Version);
        if (File.Exists(path))
        {
            return path;
        }

        Directory.CreateDirectory(dir, DirectoryMode);

        // Write beside and rename, so a concurrent start never executes a half-written file.
        var temp = path + "." + Environment.ProcessId + "." + Environment.CurrentManagedThreadId + ".tmp";
        WriteOrRemove(temp, script.Source);
        File.SetUnixFileMode(temp, DirectoryMode);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    /// <summary>
    /// The file of the current version for a run as <paramref name="user"/>: a copy under <c>run-as/USER/</c> that
    /// stays owned by the daemon but belongs to the user's primary group (directories 0750, file 0550), so the
    /// user can read and run it but not change it: the run executes exactly the version it recorded. The
    /// directories above only let others pass through (0711), never list.
    /// </summary>
    public string MaterializeFor(ScriptDefinition script, string user)
    {
        var account = UnixAccounts.ByName(user) ?? throw new ScriptExecException(ErrorKind.NotFound, $"user '{user}' does not exist");
        var runAs = Path.Combine(Path.GetDirectoryName(_root)!, "run-as");
        Directory.CreateDirectory(runAs, PassThroughMode);
        var userDir = Path.Combine(runAs, user);
        var dir = Path.Combine(userDir, script.Name);
        var path = Path.Combine(dir, script.Version);
        if (File.Exists(path))
        {
            return path;
        }

        Directory.CreateDirectory(dir, DirectoryMode);
        var temp = path + "." + Environment.ProcessId + "." + Environment.CurrentManagedThreadId + ".tmp";
        WriteOrRemove(temp, script.Source);
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        foreach (var shared in new[] { userDir, dir, temp })
        {
            File.SetUnixFileMode(shared, shared == temp ? File.GetUnixFileMode(temp) : DirectoryMode);
            if (Processes.NativeMethods.Chown(shared, uint.MaxValue, account.Gid) != 0)
            {
                throw new IOException($"cannot give {shared} to the group of user '{user}'");
            }
        }

        File.Move(temp, path, overwrite: true);
        return path;
    }

    /// <summary>Removes the files of a deleted script, the run-as copies included.</summary>
    public void Delete(string scriptName)
    {
        var dirs = new List<string> { Path.Combine(_root, scriptName) };
        var runAs = Path.Combine(Path.GetDirectoryName(_root)!, "run-as");
        if (Directory.Exists(runAs))
        {
            dirs.AddRange(Directory.EnumerateDirectories(runAs).Select(user => Path.Combine(user, scriptName)));
        }

        foreach (var dir in dirs.Where(Directory.Exists))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // A write cut short (a full disk) leaves no partial file behind to take space or be mistaken for a script.
    private static void WriteOrRemove(string path, string content)
    {
        try
        {
            File.WriteAllText(path, content);
        }
        catch (IOException)
        {
            File.Delete(path);
            throw;
        }
    }

    private const UnixFileMode PassThroughMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>How the file is run: directly when it starts with <c>#!</c>, else by /bin/sh.</summary>
    public static (string Executable, IReadOnlyList<string> Arguments) CommandLine(string source, string path, IReadOnlyList<string> arguments) =>
        source.StartsWith("#!", StringComparison.Ordinal)
            ? (path, arguments)
            : ("/bin/sh", [path, .. arguments]);
}
