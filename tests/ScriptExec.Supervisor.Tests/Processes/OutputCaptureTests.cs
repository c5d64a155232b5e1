using System.Globalization;
using System.Text;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

public class OutputCaptureTests
{
    private ScriptDirectory _scripts = null!;

    [SetUp]
    public void SetUp() => _scripts = new ScriptDirectory();

    [TearDown]
    public void TearDown() => _scripts.Dispose();

    private async Task<RecordingSink> Capture(string body, OutputCaptureOptions? options = null)
    {
        var sink = new RecordingSink();
        using var process = _scripts.Run(body, sink, options);
        var outcome = await ProcessWait.Outcome(process);
        Assert.That(outcome.ExitCode, Is.EqualTo(0));
        return sink;
    }

    [Test]
    public async Task Keeps_3000_stdout_lines_in_order()
    {
        var sink = await Capture("seq 1 3000");

        var expected = Enumerable.Range(1, 3000).Select(i => i.ToString(CultureInfo.InvariantCulture));
        Assert.That(sink.Stdout, Is.EqualTo(expected));
        Assert.That(sink.Stderr, Is.Empty);
    }

    [Test]
    public async Task Tags_stderr_lines_apart_from_stdout()
    {
        var sink = await Capture("echo out1\necho err1 >&2\necho out2\necho err2 >&2");

        Assert.That(sink.Stdout, Is.EqualTo(new[] { "out1", "out2" }));
        Assert.That(sink.Stderr, Is.EqualTo(new[] { "err1", "err2" }));
    }

    [Test]
    public async Task Stamps_lines_with_the_current_Unix_time_in_milliseconds()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var sink = await Capture("echo a");
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Assert.That(sink.Lines.Single().TimestampMs, Is.InRange(before, after));
    }

    [Test]
    public async Task Splits_a_70_KB_line_into_pieces_that_join_back_to_it()
    {
        var line = string.Concat(Enumerable.Repeat("aé€😀", 7200));
        await File.WriteAllTextAsync(Path.Combine(_scripts.FullPath, "line.txt"), line + "\n");

        var sink = await Capture("cat line.txt");

        Assert.That(sink.Stdout, Has.Count.GreaterThanOrEqualTo(5));
        Assert.That(sink.Stdout.Max(Encoding.UTF8.GetByteCount), Is.LessThanOrEqualTo(16 * 1024));
        Assert.That(string.Concat(sink.Stdout), Is.EqualTo(line));
    }

    [Test]
    public async Task A_flood_read_in_growing_buffers_keeps_every_line_whole_and_in_order()
    {
        // About 2 MB of lines of 0 to 299 bytes: many reads fill the first buffer, so the capture grows it mid-stream
        // and lines straddle the reads of both sizes.
        const string script = """
            awk 'BEGIN { x = "x"; while (length(x) < 300) x = x x;
                for (i = 1; i <= 14000; i++) { s = i ":"; n = (i * 7) % 300; if (length(s) < n) s = s substr(x, 1, n - length(s)); print s } }'
            """;
        var sink = await Capture(script, new OutputCaptureOptions(MaxStoredBytes: 16 * 1024 * 1024));

        var expected = Enumerable.Range(1, 14000).Select(i =>
        {
            var line = i.ToString(CultureInfo.InvariantCulture) + ":";
            return line.Length < (i * 7) % 300 ? line.PadRight((i * 7) % 300, 'x') : line;
        });
        Assert.That(sink.Stdout, Is.EqualTo(expected));
    }

    [Test]
    public async Task Keeps_a_last_line_without_newline()
    {
        var sink = await Capture("printf 'first\\nlast'");

        Assert.That(sink.Stdout, Is.EqualTo(new[] { "first", "last" }));
    }

    [Test]
    public async Task Drops_the_carriage_return_of_CRLF_lines()
    {
        var sink = await Capture("printf 'a\\r\\nb\\r\\n'");

        Assert.That(sink.Stdout, Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public async Task Replaces_invalid_UTF_8()
    {
        var sink = await Capture("printf 'ok \\377 end\\n'");

        Assert.That(sink.Stdout, Is.EqualTo(new[] { "ok \uFFFD end" }));
    }

    [Test]
    public async Task A_50_MB_flood_is_drained_and_truncated_once_at_the_cap()
    {
        var options = new OutputCaptureOptions();

        var sink = await Capture("head -c 52428800 /dev/zero | tr '\\0' 'x' | fold -w 100", options);

        Assert.That(sink.TruncatedCalls, Is.EqualTo(1));
        Assert.That(sink.DeliveredBytes, Is.LessThanOrEqualTo(options.MaxStoredBytes));
        // Lines are 100 bytes: everything up to the first line that did not fit was kept.
        Assert.That(sink.DeliveredBytes, Is.GreaterThan(options.MaxStoredBytes - 100));
    }

    [Test]
    public async Task The_byte_cap_is_shared_by_stdout_and_stderr()
    {
        var sink = await Capture("echo 12345\necho 67890 >&2\necho abc", new OutputCaptureOptions(MaxStoredBytes: 10));

        Assert.That(sink.Lines, Has.Count.EqualTo(2));
        Assert.That(sink.DeliveredBytes, Is.LessThanOrEqualTo(10));
        Assert.That(sink.TruncatedCalls, Is.EqualTo(1));
    }

    [Test]
    public async Task A_throwing_sink_does_not_stop_the_capture()
    {
        var sink = new ThrowingSink();
        using var failing = ProcessLauncher.Start(_scripts.Spec(_scripts.WriteScript("seq 1 100", "seq.sh")), sink);

        var outcome = await ProcessWait.Outcome(failing);

        Assert.That(outcome.ExitCode, Is.EqualTo(0));
        Assert.That(sink.Calls, Is.EqualTo(100));
    }

    private sealed class ThrowingSink : IOutputSink
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public void OnLine(OutputStream stream, ReadOnlySpan<byte> content, long timestampMs)
        {
            Interlocked.Increment(ref _calls);
            throw new InvalidOperationException("sink failure");
        }

        public void OnTruncated() => throw new InvalidOperationException("sink failure");

        public void OnDropped(long lines) => throw new InvalidOperationException("sink failure");

        public void OnReadDelivered() => throw new InvalidOperationException("sink failure");

        public void OnEnd() => throw new InvalidOperationException("sink failure");
    }
}
