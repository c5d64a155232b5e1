using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// One build of scriptexecd to benchmark: the JIT build (<c>dotnet scriptexecd.dll</c>) or the native one (the
/// NativeAOT publish, run directly). <see cref="NotBuiltReason"/> says why a build is missing; its figures are then
/// reported as not built instead of failing the run.
/// </summary>
internal sealed record ProgramBuild(string Name, string? Dll, string? Executable, string? NotBuiltReason = null, string? NotRunReason = null)
{
    public const string Jit = "jit";
    public const string Native = "native";

    public bool IsBuilt => NotBuiltReason is null;

    /// <summary>Built, and not left out of the section at hand.</summary>
    public bool Runs => IsBuilt && NotRunReason is null;

    public string Command => Executable ?? $"dotnet {Dll}";

    /// <summary>This build, not run (when it was built at all): <paramref name="reason"/> says why.</summary>
    public ProgramBuild Skipped(string reason) => this with { NotRunReason = reason };

    public JsonObject ToJson() => !IsBuilt
        ? new JsonObject { ["built"] = false, ["reason"] = NotBuiltReason }
        : NotRunReason is null
            ? new JsonObject { ["built"] = true, ["command"] = Command }
            : new JsonObject { ["built"] = true, ["run"] = false, ["reason"] = NotRunReason };
}

/// <summary>The builds of a run: the daemon and the CLI, each as JIT and native.</summary>
internal sealed record Builds(ProgramBuild Jit, ProgramBuild Native, ProgramBuild JitCli, ProgramBuild NativeCli)
{
    public IEnumerable<ProgramBuild> Daemons => [Jit, Native];

    /// <summary>Finds the native daemon and CLI (given, or the default publish output) and the JIT CLI beside the JIT daemon.</summary>
    public static Builds Locate(RepoLayout layout, string jitDll, BenchOptions options)
    {
        if (options.SkipNative)
        {
            const string skipped = "skipped (--no-native)";
            return new Builds(new ProgramBuild(ProgramBuild.Jit, jitDll, null), new ProgramBuild(ProgramBuild.Native, null, null, skipped),
                LocateJitCli(layout), new ProgramBuild(ProgramBuild.Native, null, null, skipped));
        }

        var native = LocateNative(
            options.NativeDaemon, layout.NativeDaemonPublish, "scriptexecd.dll", "dotnet publish src/ScriptExec.Daemon -r linux-x64 -c Release");
        var nativeCli = LocateNative(
            options.NativeCli, layout.NativeCliPublish, "scriptexec.dll", "dotnet publish src/ScriptExec.Cli -r linux-x64 -c Release");
        return new Builds(new ProgramBuild(ProgramBuild.Jit, jitDll, null), native, LocateJitCli(layout), nativeCli);
    }

    public JsonObject ToJson() => new()
    {
        ["daemon"] = new JsonObject { [ProgramBuild.Jit] = Jit.ToJson(), [ProgramBuild.Native] = Native.ToJson() },
        ["cli"] = new JsonObject { [ProgramBuild.Jit] = JitCli.ToJson(), [ProgramBuild.Native] = NativeCli.ToJson() },
    };

    private static ProgramBuild LocateJitCli(RepoLayout layout) => File.Exists(layout.ReleaseCliDll)
        ? new ProgramBuild(ProgramBuild.Jit, layout.ReleaseCliDll, null)
        : new ProgramBuild(ProgramBuild.Jit, null, null, $"not built: {layout.ReleaseCliDll} is missing (dotnet build -c Release src/ScriptExec.Cli)");

    /// <summary>
    /// An explicit path must exist. The default publish output counts only when it is native: a framework-dependent
    /// publish (no PublishAot) leaves an apphost there too, with its dll beside it.
    /// </summary>
    private static ProgramBuild LocateNative(string? explicitPath, string defaultPath, string managedDll, string publishCommand)
    {
        if (explicitPath is not null)
        {
            return File.Exists(explicitPath)
                ? new ProgramBuild(ProgramBuild.Native, null, explicitPath)
                : throw new FileNotFoundException("no such native executable", explicitPath);
        }

        if (!File.Exists(defaultPath))
        {
            return new ProgramBuild(ProgramBuild.Native, null, null, $"not built: {defaultPath} is missing ({publishCommand})");
        }

        var dll = Path.Combine(Path.GetDirectoryName(defaultPath)!, managedDll);
        return File.Exists(dll)
            ? new ProgramBuild(ProgramBuild.Native, null, null, $"not built: {defaultPath} is a framework-dependent apphost ({managedDll} beside it), not NativeAOT")
            : new ProgramBuild(ProgramBuild.Native, null, defaultPath);
    }
}
