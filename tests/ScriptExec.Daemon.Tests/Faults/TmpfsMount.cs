using System.Diagnostics;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>A small tmpfs mounted on a temp directory: a file system a test can fill up, without touching the machine's disks.</summary>
public sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="megabytes"/> MB; marks the test ignored (with the reason) where that is impossible.</summary>
    public static TmpfsMount MountOrIgnore(int megabytes)
    {
        if (Environment.UserName != "root")
        {
            Assert.Ignore("needs root to mount a tmpfs for the data directory");
        }

        var path = Directory.CreateTempSubdirectory("scriptexec-tmpfs-").FullName;
        var (exitCode, output) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m,mode=0755", "tmpfs", path);
        if (exitCode != 0)
        {
            Directory.Delete(path);
            Assert.Ignore($"cannot mount a tmpfs here (mount exited {exitCode}: {output.Trim()})");
        }

        return new TmpfsMount(path);
    }

    /// <summary>
    /// Writes zeros to <paramref name="name"/> until the file system refuses more (ENOSPC), first in large then in
    /// page-sized pieces, so almost nothing is left. Returns the file's path.
    /// </summary>
    public string FillWith(string name)
    {
        var path = System.IO.Path.Combine(Path, name);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
        foreach (var size in new[] { 256 * 1024, 4096, 512 })
        {
            var zeros = new byte[size];
            try
            {
                while (true)
                {
                    file.Write(zeros);
                }
            }
            catch (IOException)
            {
                // Full at this piece size: try a smaller one.
            }
        }

        return path;
    }

    public void Dispose()
    {
        // Lazy: a process the test could not stop may still hold a file open.
        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Still busy; the OS cleans temp directories eventually.
        }
    }

    private static (int ExitCode, string Output) Run(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
