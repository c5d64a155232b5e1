using System.Globalization;
using ScriptExec.Core;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

public class LimitsWrapperTests
{
    private static readonly LimitsWrapper Wrapper = LimitsWrapper.Detect();

    private ScriptDirectory _scripts = null!;

    [SetUp]
    public void SetUp() => _scripts = new ScriptDirectory();

    [TearDown]
    public void TearDown() => _scripts.Dispose();

    private static ResourceLimits Limits(params (LimitKind Kind, int Value)[] values) =>
        ResourceLimits.Of(values.ToDictionary(value => value.Kind, value => (int?)value.Value));

    private async Task<(RecordingSink Sink, ProcessOutcome Outcome, int Pid)> Run(string body, ResourceLimits limits)
    {
        var (executable, arguments) = Wrapper.Wrap(limits, _scripts.WriteScript(body), []);
        var sink = new RecordingSink();
        using var process = ProcessLauncher.Start(_scripts.Spec(executable, arguments), sink);
        var outcome = await ProcessWait.Outcome(process);
        return (sink, outcome, process.Pid);
    }

    [Test]
    public async Task The_script_sees_open_files_as_its_descriptor_limit()
    {
        var (sink, outcome, _) = await Run("ulimit -n; ulimit -Hn", Limits((LimitKind.OpenFiles, 37)));

        Assert.Multiple(() =>
        {
            Assert.That(outcome.ExitCode, Is.EqualTo(0), string.Join("\n", sink.Stderr));
            Assert.That(sink.Stdout, Is.EqualTo(new[] { "37", "37" }));
        });
    }

    [Test]
    public async Task The_wrappers_exec_so_the_spawned_pid_is_the_scripts_pid()
    {
        var (sink, _, pid) = await Run("echo $$", Limits((LimitKind.OpenFiles, 64), (LimitKind.Nice, 3)));

        Assert.That(sink.Stdout, Is.EqualTo(new[] { pid.ToString(CultureInfo.InvariantCulture) }));
    }

    [Test]
    public async Task A_busy_loop_under_one_cpu_second_dies_by_SIGXCPU()
    {
        var (sink, outcome, _) = await Run("while :; do :; done", Limits((LimitKind.CpuSeconds, 1)));

        Assert.Multiple(() =>
        {
            Assert.That(outcome.Signaled, Is.True, string.Join("\n", sink.Stderr));
            Assert.That(outcome.Status, Is.EqualTo(Signals.SIGXCPU));
        });
    }

    [Test]
    public async Task Writing_two_mebibytes_under_a_one_mebibyte_file_size_fails()
    {
        var (sink, outcome, _) = await Run("exec head -c 2097152 /dev/zero > big", Limits((LimitKind.FileSizeMb, 1)));

        // The kernel sends SIGXFSZ; a writer that ignores it gets EFBIG instead. Either way the write stops at the limit.
        var failed = outcome.Signaled ? outcome.Status == Signals.SIGXFSZ : outcome.ExitCode != 0;
        Assert.Multiple(() =>
        {
            Assert.That(failed, Is.True, $"outcome {outcome}; {string.Join("\n", sink.Stderr)}");
            Assert.That(new FileInfo(Path.Combine(_scripts.FullPath, "big")).Length, Is.EqualTo(1024 * 1024));
        });
    }

    [Test]
    public async Task Nice_shows_in_the_scripts_proc_stat()
    {
        // Field 19 of /proc/<pid>/stat is the niceness; the comm field holds no space for cut.
        var (sink, _, _) = await Run("cut -d' ' -f19 /proc/self/stat", Limits((LimitKind.Nice, 5)));

        Assert.That(sink.Stdout, Is.EqualTo(new[] { "5" }), string.Join("\n", sink.Stderr));
    }

    [Test]
    public async Task Sizes_are_mebibytes_and_every_rlimit_is_set_soft_and_hard()
    {
        var limits = Limits((LimitKind.StackMb, 4), (LimitKind.AddressSpaceMb, 512), (LimitKind.DataMb, 256), (LimitKind.Processes, 50));

        // dash's ulimit reports sizes in KiB and calls the process limit -p.
        var (sink, _, _) = await Run("ulimit -s; ulimit -Hs; ulimit -v; ulimit -d; ulimit -p; ulimit -Hp", limits);

        Assert.That(sink.Stdout, Is.EqualTo(new[] { "4096", "4096", "524288", "262144", "50", "50" }), string.Join("\n", sink.Stderr));
    }

    [Test]
    public async Task Limits_wrap_the_run_as_command_and_hold_for_the_other_user()
    {
        Assume.That(RunAs.Problem("nobody"), Is.Null, "the daemon can run scripts as nobody");
        var readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
            UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(_scripts.FullPath, readable);
        var script = _scripts.WriteScript("id -un; ulimit -n; ulimit -Hn; cut -d' ' -f19 /proc/self/stat");
        File.SetUnixFileMode(script, readable);
        var environment = new Dictionary<string, string>(ScriptDirectory.MinimalEnvironment);
        var (runAs, runAsArguments) = RunAs.Wrap("nobody", RunAs.SpawnDirectory, script, [], environment);

        // Limits outermost: set while still root, so the script, once nobody, cannot raise them again.
        var (executable, arguments) = Wrapper.Wrap(Limits((LimitKind.OpenFiles, 37), (LimitKind.Nice, 5)), runAs, runAsArguments);
        var sink = new RecordingSink();
        using var process = ProcessLauncher.Start(_scripts.Spec(executable, arguments, environment) with { WorkingDirectory = RunAs.SpawnDirectory }, sink);
        await ProcessWait.Outcome(process);

        Assert.That(sink.Stdout, Is.EqualTo(new[] { "nobody", "37", "37", "5" }), string.Join("\n", sink.Stderr));
    }

    [Test]
    public void The_cpu_hard_limit_is_five_seconds_above_the_soft_one()
    {
        Assert.That(LimitsWrapper.RlimitOptions(Limits((LimitKind.CpuSeconds, 10))), Is.EqualTo(new[] { "--cpu=10:15" }));
    }

    [Test]
    public void No_limits_leave_the_command_line_unchanged()
    {
        var (executable, arguments) = Wrapper.Wrap(ResourceLimits.Unlimited, "/x/script", ["a"]);

        Assert.Multiple(() =>
        {
            Assert.That(executable, Is.EqualTo("/x/script"));
            Assert.That(arguments, Is.EqualTo(new[] { "a" }));
        });
    }

    [Test]
    public void The_command_line_ends_with_the_script_and_its_arguments_word_for_word()
    {
        var (executable, arguments) = Wrapper.Wrap(Limits((LimitKind.OpenFiles, 10), (LimitKind.Nice, 1)), "/x/script", ["--", "-n", ""]);

        Assert.Multiple(() =>
        {
            Assert.That(executable, Is.EqualTo(LimitsWrapper.DefaultPrlimitPath));
            Assert.That(arguments, Is.EqualTo(new[] { "--nofile=10:10", "--", LimitsWrapper.DefaultNicePath, "-n", "1", "--", "/x/script", "--", "-n", "" }));
        });
    }

    [Test]
    public void Missing_programs_are_reported_and_a_limited_run_is_refused()
    {
        var missing = LimitsWrapper.Detect(Path.Combine(_scripts.FullPath, "no-prlimit"), Path.Combine(_scripts.FullPath, "no-nice"));
        var limits = Limits((LimitKind.OpenFiles, 10));

        Assert.Multiple(() =>
        {
            Assert.That(missing.CanApplyAll, Is.False);
            Assert.That(missing.Problem(limits), Does.Contain("prlimit"));
            Assert.That(missing.Problem(Limits((LimitKind.Nice, 1))), Does.Contain("nice"));
            Assert.That(missing.Problem(ResourceLimits.Unlimited), Is.Null);
            Assert.Throws<ProcessStartException>(() => missing.Wrap(limits, "/x/script", []));
        });
    }
}
