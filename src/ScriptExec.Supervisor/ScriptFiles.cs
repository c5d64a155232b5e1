using ScriptExec.Core;

namespace ScriptExec.Supervisor;

/// <summary>
/// Script sources as files, one per version (<c>scripts/NAME/VERSION</c>, mode 0750), so a run always executes the
/// exact version it recorded, even if the source changes while it runs.
/// </summary>
public sealed class ScriptFiles
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
        File.WriteAllText(temp, script.Source);
        File.SetUnixFileMode(temp, DirectoryMode);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    /// <summary>Removes the files of a deleted script.</summary>
    public void Delete(string scriptName)
    {
        var dir = Path.Combine(_root, scriptName);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>How the file is run: directly when it starts with <c>#!</c>, else by /bin/sh.</summary>
    public static (string Executable, IReadOnlyList<string> Arguments) CommandLine(string source, string path, IReadOnlyList<string> arguments) =>
        source.StartsWith("#!", StringComparison.Ordinal)
            ? (path, arguments)
            : ("/bin/sh", [path, .. arguments]);
}
