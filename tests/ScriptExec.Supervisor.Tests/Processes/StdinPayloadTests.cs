using System.Text;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

public class StdinPayloadTests
{
    private ScriptDirectory _scripts = null!;

    [SetUp]
    public void SetUp() => _scripts = new ScriptDirectory();

    [TearDown]
    public void TearDown() => _scripts.Dispose();

    private async Task<(RecordingSink Sink, ProcessOutcome Outcome)> Run(string body, byte[] payload)
    {
        var sink = new RecordingSink();
        var spec = _scripts.Spec(_scripts.WriteScript(body)) with { StdinPayload = payload };
        using var process = ProcessLauncher.Start(spec, sink);
        return (sink, await ProcessWait.Outcome(process));
    }

    [Test]
    public async Task A_script_reading_stdin_gets_exactly_the_payload_then_end_of_file()
    {
        var payload = Encoding.UTF8.GetBytes("{\"execution_id\":7,\"user\":\"ü\"}\nno newline at the end");

        // cat returns only at end of file, so "read" proves EOF came right after the payload.
        var (sink, outcome) = await Run("cat > got; echo read", payload);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.ExitCode, Is.EqualTo(0), string.Join("\n", sink.Stderr));
            Assert.That(sink.Stdout, Is.EqualTo(new[] { "read" }));
            Assert.That(File.ReadAllBytes(Path.Combine(_scripts.FullPath, "got")), Is.EqualTo(payload));
        });
    }

    [Test]
    public async Task The_largest_payload_arrives_whole()
    {
        var payload = Enumerable.Range(0, ProcessStartSpec.MaxStdinPayloadBytes).Select(i => (byte)('a' + (i % 26))).ToArray();

        var (_, outcome) = await Run("cat > got", payload);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.ExitCode, Is.EqualTo(0));
            Assert.That(File.ReadAllBytes(Path.Combine(_scripts.FullPath, "got")), Is.EqualTo(payload));
        });
    }

    [Test]
    public void A_payload_over_the_limit_is_refused_when_the_spec_is_built()
    {
        var spec = _scripts.Spec("/usr/bin/true");

        Assert.Throws<ArgumentOutOfRangeException>(() => _ = spec with { StdinPayload = new byte[ProcessStartSpec.MaxStdinPayloadBytes + 1] });
    }

    [Test]
    public async Task With_a_payload_stdin_is_a_pipe()
    {
        var (sink, _) = await Run("readlink /proc/self/fd/0", [1, 2, 3]);

        Assert.That(sink.Stdout.Single(), Does.StartWith("pipe:"));
    }

    [Test]
    public async Task A_script_that_ignores_stdin_runs_and_ends_normally()
    {
        var (sink, outcome) = await Run("echo ignored", Encoding.UTF8.GetBytes("{\"token\":\"x\"}"));

        Assert.Multiple(() =>
        {
            Assert.That(outcome.ExitCode, Is.EqualTo(0));
            Assert.That(sink.Stdout, Is.EqualTo(new[] { "ignored" }));
        });
    }

    [Test]
    public async Task A_script_that_closes_stdin_early_harms_nothing_and_the_next_start_works()
    {
        var payload = new byte[ProcessStartSpec.MaxStdinPayloadBytes];

        var (first, firstOutcome) = await Run("head -c 1 > /dev/null; exec 0<&-; echo closed", payload);
        var (second, secondOutcome) = await Run("wc -c", payload);

        Assert.Multiple(() =>
        {
            Assert.That(firstOutcome.ExitCode, Is.EqualTo(0), string.Join("\n", first.Stderr));
            Assert.That(first.Stdout, Is.EqualTo(new[] { "closed" }));
            Assert.That(secondOutcome.ExitCode, Is.EqualTo(0));
            Assert.That(second.Stdout.Single().Trim(), Is.EqualTo("4096"));
        });
    }

    [Test]
    public async Task An_empty_payload_is_end_of_file_at_once()
    {
        var (sink, outcome) = await Run("wc -c", []);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.ExitCode, Is.EqualTo(0));
            Assert.That(sink.Stdout.Single().Trim(), Is.EqualTo("0"));
        });
    }

    [Test]
    public async Task Without_a_payload_stdin_stays_dev_null()
    {
        var sink = new RecordingSink();
        using var process = ProcessLauncher.Start(_scripts.Spec(_scripts.WriteScript("readlink /proc/self/fd/0")), sink);
        await ProcessWait.Outcome(process);

        Assert.That(sink.Stdout, Is.EqualTo(new[] { "/dev/null" }));
    }
}
