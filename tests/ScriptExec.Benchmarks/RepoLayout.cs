namespace ScriptExec.Benchmarks;

/// <summary>Where the repository and the Release build of scriptexecd are; builds the daemon when it is missing.</summary>
internal sealed class RepoLayout
{
    private RepoLayout(string root)
    {
        Root = root;
    }

    public string Root { get; }

    public string DaemonProject => Path.Combine(Root, "src", "ScriptExec.Daemon", "ScriptExec.Daemon.csproj");

    public string ReleaseDaemonDll => Path.Combine(Root, "src", "ScriptExec.Daemon", "bin", "Release", "net10.0", "scriptexecd.dll");

    /// <summary>Where <c>dotnet publish src/ScriptExec.Daemon -r linux-x64 -c Release</c> puts the native daemon.</summary>
    public string NativeDaemonPublish => Path.Combine(Root, "src", "ScriptExec.Daemon", "bin", "Release", "net10.0", "linux-x64", "publish", "scriptexecd");

    /// <summary>The JIT CLI; <c>dotnet run -c Release</c> of this tool builds it (a build-only project reference).</summary>
    public string ReleaseCliDll => Path.Combine(Root, "src", "ScriptExec.Cli", "bin", "Release", "net10.0", "scriptexec.dll");

    public string NativeCliPublish => Path.Combine(Root, "src", "ScriptExec.Cli", "bin", "Release", "net10.0", "linux-x64", "publish", "scriptexec");

    public static RepoLayout Locate()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ScriptExec.sln")))
                {
                    return new RepoLayout(dir.FullName);
                }
            }
        }

        throw new InvalidOperationException("cannot find ScriptExec.sln above the current directory or the tool; run from the repository");
    }

    /// <summary>The daemon to benchmark: --daemon, else the Release build, built now if it is missing.</summary>
    public async Task<string> EnsureDaemonAsync(string? explicitDll, CancellationToken cancellationToken)
    {
        if (explicitDll is not null)
        {
            return File.Exists(explicitDll) ? explicitDll : throw new FileNotFoundException("--daemon: no such file", explicitDll);
        }

        if (File.Exists(ReleaseDaemonDll))
        {
            return ReleaseDaemonDll;
        }

        Progress.Say($"building scriptexecd (Release): dotnet build -c Release {DaemonProject}");
        var build = await ProcessRunner.RunAsync(
            "dotnet", ["build", "-c", "Release", "--nologo", "-v", "q", DaemonProject], TimeSpan.FromMinutes(10), cancellationToken);
        if (!build.Succeeded || !File.Exists(ReleaseDaemonDll))
        {
            throw new InvalidOperationException($"dotnet build -c Release of the daemon failed (exit {build.ExitCode}):\n{build.Tail(30)}");
        }

        return ReleaseDaemonDll;
    }
}
