namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// Where the current machine boot's id is read: the kernel's, unless a test points it at a file it controls to
/// simulate a reboot without one.
/// </summary>
public sealed class BootIdSource(string path = BootIdSource.KernelPath)
{
    public const string KernelPath = "/proc/sys/kernel/random/boot_id";

    /// <summary>The boot id, trimmed; null if unreadable or empty.</summary>
    public string? Read()
    {
        try
        {
            return File.ReadAllText(path).Trim() is { Length: > 0 } id ? id : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
