using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

public class ProcessLauncherTests
{
    private ScriptDirectory _scripts = null!;

    [SetUp]
    public void SetUp() => _scripts = new ScriptDirectory();

    [TearDown]
    public void TearDown() => _scripts.Dispose();

    [Test]
    public async Task The_child_gets_exactly_the_given_environment()
    {
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/bin:/bin",
            ["GREETING"] = "hello world",
            ["EMPTY"] = "",
            ["UNICODE"] = "ü€",
        };

        var sink = await ProcessWait.Succeeded(_scripts.Spec("/usr/bin/env", environment: environment));

        Assert.That(sink.Stdout, Is.EquivalentTo(new[] { "PATH=/usr/bin:/bin", "GREETING=hello world", "EMPTY=", "UNICODE=ü€" }));
    }

    [Test]
    public async Task The_child_runs_in_the_working_directory()
    {
        var sink = await ProcessWait.Succeeded(_scripts.Spec("/usr/bin/pwd"));

        Assert.That(sink.Stdout, Is.EqualTo(new[] { _scripts.FullPath }));
    }

    [Test]
    public async Task Arguments_reach_the_child_word_for_word_after_the_executable_path()
    {
        var script = _scripts.WriteScript("printf '%s\\n' \"$0\" \"$@\"");

        var sink = await ProcessWait.Succeeded(_scripts.Spec(script, ["a b", "", "$HOME", "ü"]));

        Assert.That(sink.Stdout, Is.EqualTo(new[] { script, "a b", "", "$HOME", "ü" }));
    }

    [Test]
    public async Task Stdin_is_dev_null()
    {
        var sink = await ProcessWait.Succeeded(_scripts.Spec(_scripts.WriteScript("cat\nreadlink /proc/self/fd/0")));

        Assert.That(sink.Stdout, Is.EqualTo(new[] { "/dev/null" }));
    }

    [Test]
    public async Task No_signal_is_blocked_or_ignored_in_the_child()
    {
        // The runtime ignores SIGPIPE, and an ignored signal would survive exec without SETSIGDEF.
        var sink = await ProcessWait.Succeeded(_scripts.Spec("/usr/bin/grep", ["-E", "^Sig(Blk|Ign):", "/proc/self/status"]));

        Assert.That(sink.Stdout, Is.EqualTo(new[] { "SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000" }));
    }

    [Test]
    public async Task Only_stdin_stdout_and_stderr_are_open_in_the_child()
    {
        var sink = await ProcessWait.Succeeded(_scripts.Spec("/usr/bin/ls", ["/proc/self/fd"]));

        // ls itself opens the directory it lists, as fd 3.
        Assert.That(sink.Stdout, Is.EqualTo(new[] { "0", "1", "2", "3" }));
    }

    [Test]
    public void A_missing_executable_fails_with_the_errno_text()
    {
        var spec = _scripts.Spec("/nonexistent/x");

        Assert.That(
            () => ProcessLauncher.Start(spec, new RecordingSink()),
            Throws.TypeOf<ProcessStartException>().With.Message.EqualTo("exec /nonexistent/x: No such file or directory"));
    }

    [Test]
    public void A_file_without_execute_permission_fails()
    {
        var path = _scripts.WriteScript("exit 0");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.That(
            () => ProcessLauncher.Start(_scripts.Spec(path), new RecordingSink()),
            Throws.TypeOf<ProcessStartException>().With.Message.EqualTo($"exec {path}: Permission denied"));
    }

    [Test]
    public void A_missing_working_directory_fails_naming_it()
    {
        var spec = _scripts.Spec("/usr/bin/true") with { WorkingDirectory = "/nonexistent/dir" };

        Assert.That(
            () => ProcessLauncher.Start(spec, new RecordingSink()),
            Throws.TypeOf<ProcessStartException>().With.Message.EqualTo("chdir /nonexistent/dir: No such file or directory"));
    }

    [Test]
    public void A_NUL_character_or_a_name_with_equals_is_refused_before_spawning()
    {
        Assert.That(
            () => ProcessLauncher.Start(_scripts.Spec("/usr/bin/true", ["a\0b"]), new RecordingSink()),
            Throws.ArgumentException);
        Assert.That(
            () => ProcessLauncher.Start(_scripts.Spec("/usr/bin/true", environment: new Dictionary<string, string> { ["A=B"] = "c" }), new RecordingSink()),
            Throws.ArgumentException);
    }

    [Test]
    public async Task Two_hundred_processes_leak_no_descriptor_and_no_thread()
    {
        var spec = _scripts.Spec(_scripts.WriteScript("echo out\necho err >&2"));
        await ProcessWait.Succeeded(spec);
        var descriptorsBefore = Directory.GetFileSystemEntries("/proc/self/fd").Length;
        var threadsBefore = Directory.GetDirectories("/proc/self/task").Length;

        for (var i = 0; i < 200; i++)
        {
            var sink = await ProcessWait.Succeeded(spec);
            Assert.That(sink.Lines, Has.Count.EqualTo(2));
        }

        // Descriptors are closed before completion; the waiter thread ends just after it.
        Assert.That(Directory.GetFileSystemEntries("/proc/self/fd").Length, Is.LessThanOrEqualTo(descriptorsBefore + 5));
        await ProcessWait.Until(
            () => Directory.GetDirectories("/proc/self/task").Length <= threadsBefore + 10,
            "the waiter threads to end");
    }
}
