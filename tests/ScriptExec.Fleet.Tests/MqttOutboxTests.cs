using ScriptExec.Daemon.Fleet;

namespace ScriptExec.Fleet.Tests;

public sealed class MqttOutboxTests
{
    [Test]
    public async Task Over_its_message_bound_the_oldest_is_dropped_and_counted()
    {
        var outbox = new MqttOutbox(maxMessages: 2, maxBytes: 1024);

        outbox.Enqueue(Message("a"));
        outbox.Enqueue(Message("b"));
        var pushedOut = outbox.Enqueue(Message("c"));

        Assert.That(pushedOut, Is.EqualTo(1));
        Assert.That(outbox.Dropped, Is.EqualTo(1));
        Assert.That(outbox.Count, Is.EqualTo(2));
        Assert.That((await outbox.PeekAsync(CancellationToken.None)).Topic, Is.EqualTo("b"));
    }

    [Test]
    public void Over_its_byte_bound_the_oldest_are_dropped_and_a_message_larger_than_the_bound_alone_is()
    {
        var outbox = new MqttOutbox(maxMessages: 100, maxBytes: 10);

        outbox.Enqueue(Message("a", 6));
        outbox.Enqueue(Message("b", 6));
        outbox.Enqueue(Message("huge", 11));

        Assert.That(outbox.Count, Is.EqualTo(1));
        Assert.That(outbox.Dropped, Is.EqualTo(2));
    }

    [Test]
    public async Task A_peeked_message_stays_until_removed()
    {
        var outbox = new MqttOutbox(10, 1024);
        var waiting = outbox.PeekAsync(CancellationToken.None);
        Assert.That(waiting.IsCompleted, Is.False);

        outbox.Enqueue(Message("x"));
        var peeked = await waiting;

        Assert.That(outbox.Count, Is.EqualTo(1));
        outbox.Remove(peeked);
        Assert.That(outbox.Count, Is.Zero);
    }

    private static OutgoingMessage Message(string topic, int bytes = 1) => new(topic, new byte[bytes], null);
}
