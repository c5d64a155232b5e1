using System.Threading.Channels;
using ScriptExec.Core;
using ScriptExec.Store;

namespace ScriptExec.Supervisor.Tests;

public sealed class OutputDispatcherTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private string _dir = "";
    private SqliteDatabase _db = null!;
    private ExecutionStore _store = null!;
    private OutputDispatcher _dispatcher = null!;

    [SetUp]
    public void Open()
    {
        _dir = Directory.CreateTempSubdirectory("scriptexec-dispatcher-").FullName;
        _db = new SqliteDatabase(new StoreOptions { DatabasePath = Path.Combine(_dir, "scriptexec.db") });
        _store = new ExecutionStore(_db);
        _dispatcher = new OutputDispatcher(_store);
    }

    [TearDown]
    public async Task Close()
    {
        await _dispatcher.DisposeAsync();
        _db.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static Execution Execution(long id, ExecutionState state) => new()
    {
        Id = id, ScriptName = "s", InstanceName = "i", ScriptVersion = "v1", StartTimestamp = 1,
        StartTrigger = Trigger.Manual("root"), State = state,
    };

    private static CapturedOutput Output(long executionId, params string[] lines) => new(
        executionId, [.. lines.Select((l, i) => new OutputLine(i + 1, l, OutputStreamKind.Stdout, 0))], 0, 100);

    /// <summary>
    /// Publishes a change no test uses otherwise and waits until <paramref name="listener"/> has it: the loop
    /// dispatches in order, so everything published before has been dispatched by then.
    /// </summary>
    private async Task DrainAsync(RecordingListener listener)
    {
        var marker = Execution(long.MaxValue, ExecutionState.Finished);
        _dispatcher.PublishChange(marker);
        while (await listener.Events.Reader.ReadAsync().AsTask().WaitAsync(Bound) is not ("change", { Id: long.MaxValue }, _))
        {
        }
    }

    [Test]
    public async Task Changes_and_output_reach_an_interested_listener_in_the_order_they_were_published()
    {
        var listener = new RecordingListener();
        _dispatcher.SetInterest(listener, changes: true, output: true);
        var running = Execution(1, ExecutionState.Running);

        _dispatcher.PublishChange(running);
        Assert.That(_dispatcher.TryPublish(Output(1, "a", "b")), Is.True);
        _dispatcher.PublishChange(Execution(1, ExecutionState.Finished));

        var events = new List<(string Kind, Execution Execution, CapturedOutput? Output)>();
        for (var i = 0; i < 3; i++)
        {
            events.Add(await listener.Events.Reader.ReadAsync().AsTask().WaitAsync(Bound));
        }

        Assert.Multiple(() =>
        {
            Assert.That(events.Select(e => (e.Kind, e.Execution.State)), Is.EqualTo(new[]
            {
                ("change", ExecutionState.Running), ("output", ExecutionState.Running), ("change", ExecutionState.Finished),
            }));
            Assert.That(events[1].Output!.Lines.Select(l => l.Content), Is.EqualTo(new[] { "a", "b" }));
        });
    }

    [Test]
    public async Task A_listener_for_changes_only_gets_no_output_and_output_is_not_wanted_without_one()
    {
        var listener = new RecordingListener();
        _dispatcher.SetInterest(listener, changes: true, output: false);
        _dispatcher.PublishChange(Execution(1, ExecutionState.Running));
        _dispatcher.TryPublish(Output(1, "a"));

        await DrainAsync(listener);

        Assert.Multiple(() =>
        {
            Assert.That(_dispatcher.HasOutputListeners, Is.False);
            Assert.That(listener.Received.Select(e => e.Kind), Is.EqualTo(new[] { "change", "change" }), "the start and the drain marker");
        });
    }

    [Test]
    public async Task Output_before_the_start_is_published_is_sent_with_the_execution_read_from_the_store()
    {
        var id = await _store.InsertStartedAsync(new NewExecution("stored", "inst", "v9", 5, Trigger.Manual("root"), null), CancellationToken.None);
        var listener = new RecordingListener();
        _dispatcher.SetInterest(listener, changes: true, output: true);

        _dispatcher.TryPublish(Output(id, "early"));
        _dispatcher.TryPublish(Output(id + 1000, "of an execution the store does not know"));
        await DrainAsync(listener);

        var outputs = listener.Received.Where(e => e.Kind == "output").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(outputs, Has.Count.EqualTo(1));
            Assert.That(outputs[0].Execution.ScriptName, Is.EqualTo("stored"));
            Assert.That(outputs[0].Execution.ScriptVersion, Is.EqualTo("v9"));
            Assert.That(outputs[0].Output!.Lines.Single().Content, Is.EqualTo("early"));
        });
    }

    [Test]
    public async Task A_removed_listener_receives_nothing_more()
    {
        var removed = new RecordingListener();
        var kept = new RecordingListener();
        _dispatcher.SetInterest(removed, changes: true, output: true);
        _dispatcher.SetInterest(kept, changes: true, output: true);

        _dispatcher.SetInterest(removed, changes: false, output: false);
        _dispatcher.PublishChange(Execution(1, ExecutionState.Running));
        await DrainAsync(kept);

        Assert.Multiple(() =>
        {
            Assert.That(removed.Received, Is.Empty);
            Assert.That(kept.Received, Has.Count.EqualTo(2));
        });
    }

    [Test]
    public async Task A_listener_whose_connection_is_closing_does_not_keep_the_others_from_theirs()
    {
        var closing = new ClosingListener();
        var listener = new RecordingListener();
        _dispatcher.SetInterest(closing, changes: true, output: true);
        _dispatcher.SetInterest(listener, changes: true, output: true);

        _dispatcher.PublishChange(Execution(1, ExecutionState.Running));
        _dispatcher.TryPublish(Output(1, "a"));
        await DrainAsync(listener);

        Assert.That(listener.Received.Select(e => e.Kind), Is.EqualTo(new[] { "change", "output", "change" }));
    }

    [Test]
    public void A_batch_beyond_the_pending_budget_is_refused_unless_forced()
    {
        var huge = Output(1, "x") with { QueuedBytes = OutputDispatcher.MaxPendingBytes + 1 };

        Assert.Multiple(() =>
        {
            Assert.That(_dispatcher.TryPublish(huge), Is.False);
            Assert.That(_dispatcher.TryPublish(huge, force: true), Is.True);
        });
    }

    private sealed class RecordingListener : IExecutionListener
    {
        private readonly List<(string Kind, Execution Execution, CapturedOutput? Output)> _received = [];

        public Channel<(string Kind, Execution Execution, CapturedOutput? Output)> Events { get; } =
            Channel.CreateUnbounded<(string, Execution, CapturedOutput?)>();

        public IReadOnlyList<(string Kind, Execution Execution, CapturedOutput? Output)> Received
        {
            get
            {
                lock (_received)
                {
                    return [.. _received];
                }
            }
        }

        public void OnChanged(Execution execution) => Record(("change", execution, null));

        public void OnOutput(Execution execution, CapturedOutput output) => Record(("output", execution, output));

        private void Record((string, Execution, CapturedOutput?) item)
        {
            lock (_received)
            {
                _received.Add(item);
            }

            Events.Writer.TryWrite(item);
        }
    }

    private sealed class ClosingListener : IExecutionListener
    {
        public void OnChanged(Execution execution) => throw new ObjectDisposedException("connection");

        public void OnOutput(Execution execution, CapturedOutput output) => throw new ObjectDisposedException("connection");
    }
}
