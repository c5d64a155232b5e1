using ScriptExec.Core;

namespace ScriptExec.Supervisor.Tests;

public sealed class ScriptFilesTests
{
    private const UnixFileMode Mode0750 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    private string _dataDir = "";

    private string Root => Path.Combine(_dataDir, "scripts");

    [SetUp]
    public void CreateDataDir() => _dataDir = Directory.CreateTempSubdirectory("scriptexec-files-").FullName;

    [TearDown]
    public void DeleteDataDir() => Directory.Delete(_dataDir, recursive: true);

    private static ScriptDefinition Script(string name, string source) => new(name, source, ScriptDefinition.VersionOf(source), null, 1);

    [Test]
    // Directory modes are left out: Directory.CreateDirectory's mode is subject to the process umask.
    public void Materialize_writes_the_source_as_scripts_name_version_readable_and_runnable_by_owner_and_group_only()
    {
        var script = Script("hello", "echo hello\n");

        var path = new ScriptFiles(Root).Materialize(script);

        Assert.Multiple(() =>
        {
            Assert.That(path, Is.EqualTo(Path.Combine(Root, "hello", script.Version)));
            Assert.That(File.ReadAllText(path), Is.EqualTo("echo hello\n"));
            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(Mode0750));
            Assert.That(Directory.GetFiles(Path.Combine(Root, "hello")), Is.EqualTo(new[] { path }), "no temporary file is left");
        });
    }

    [Test]
    public void Each_version_keeps_its_own_file_so_a_running_version_is_never_rewritten()
    {
        var files = new ScriptFiles(Root);
        var v1 = files.Materialize(Script("s", "echo 1"));
        File.AppendAllText(v1, "# the file of a version already written is used as it is\n");

        var v2 = files.Materialize(Script("s", "echo 2"));
        var v1Again = files.Materialize(Script("s", "echo 1"));

        Assert.Multiple(() =>
        {
            Assert.That(v2, Is.Not.EqualTo(v1));
            Assert.That(File.ReadAllText(v2), Is.EqualTo("echo 2"));
            Assert.That(v1Again, Is.EqualTo(v1));
            Assert.That(File.ReadAllText(v1Again), Does.EndWith("already written is used as it is\n"));
        });
    }

    [Test]
    public void Delete_removes_every_version_and_run_as_copy_of_that_script_only()
    {
        var files = new ScriptFiles(Root);
        files.Materialize(Script("gone", "echo 1"));
        files.Materialize(Script("gone", "echo 2"));
        var kept = files.Materialize(Script("kept", "echo k"));
        var runAsGone = Path.Combine(_dataDir, "run-as", "nobody", "gone");
        var runAsKept = Path.Combine(_dataDir, "run-as", "nobody", "kept");
        Directory.CreateDirectory(runAsGone);
        Directory.CreateDirectory(runAsKept);

        files.Delete("gone");
        files.Delete("never-existed");

        Assert.Multiple(() =>
        {
            Assert.That(Directory.Exists(Path.Combine(Root, "gone")), Is.False);
            Assert.That(Directory.Exists(runAsGone), Is.False);
            Assert.That(File.Exists(kept), Is.True);
            Assert.That(Directory.Exists(runAsKept), Is.True);
        });
    }

    [Test]
    public void A_copy_for_another_user_belongs_to_their_group_and_cannot_be_changed_by_them()
    {
        Assume.That(UnixAccounts.IsRoot, "giving a file to another group needs root");
        var nobody = UnixAccounts.ByName("nobody");
        Assume.That(nobody, Is.Not.Null, "needs the user nobody");

        var path = new ScriptFiles(Root).MaterializeFor(Script("s", "echo 1"), "nobody");

        Assert.Multiple(() =>
        {
            Assert.That(path, Is.EqualTo(Path.Combine(_dataDir, "run-as", "nobody", "s", ScriptDefinition.VersionOf("echo 1"))));
            Assert.That(File.ReadAllText(path), Is.EqualTo("echo 1"));
            Assert.That(File.GetUnixFileMode(path),
                Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute));
            Assert.That(GroupIdOf(path), Is.EqualTo(nobody!.Value.Gid));
        });
    }

    /// <summary>The owning group, as stat(1) reports it: .NET has no API for a file's group.</summary>
    private static uint GroupIdOf(string path)
    {
        var info = new System.Diagnostics.ProcessStartInfo("stat") { RedirectStandardOutput = true, ArgumentList = { "-c", "%g", path } };
        using var stat = System.Diagnostics.Process.Start(info)!;
        var output = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return uint.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [TestCase("#!/usr/bin/env python3\nprint(1)", "/data/s/v", new[] { "a" }, "/data/s/v", new[] { "a" })]
    [TestCase("echo 1", "/data/s/v", new[] { "a", "b" }, "/bin/sh", new[] { "/data/s/v", "a", "b" })]
    [TestCase(" #!/bin/bash", "/data/s/v", new string[0], "/bin/sh", new[] { "/data/s/v" })]
    public void A_source_starting_with_a_shebang_runs_directly_and_any_other_by_bin_sh(
        string source, string path, string[] arguments, string executable, string[] expectedArguments)
    {
        var (actualExecutable, actualArguments) = ScriptFiles.CommandLine(source, path, arguments);

        Assert.Multiple(() =>
        {
            Assert.That(actualExecutable, Is.EqualTo(executable));
            Assert.That(actualArguments, Is.EqualTo(expectedArguments));
        });
    }
}
