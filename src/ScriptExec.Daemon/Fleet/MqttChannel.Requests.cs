using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using MQTTnet;
using ScriptExec.Rpc.Sessions;

namespace ScriptExec.Daemon.Fleet;

/// <content>Requests in, replies and events out.</content>
internal sealed partial class MqttChannel
{
    private async Task ReceiveAsync(MqttApplicationMessageReceivedEventArgs e, CancellationToken cancellationToken)
    {
        var message = e.ApplicationMessage;

        // Copied: the client reuses its buffers once the handler returns.
        var inbound = new InboundMessage(
            message.Topic, message.Payload.ToArray(), string.IsNullOrEmpty(message.ResponseTopic) ? null : message.ResponseTopic, message.CorrelationData);
        try
        {
            await _inbound.Writer.WriteAsync(inbound, cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // Shutting down: the request goes unanswered, as it would have a moment later.
        }
    }

    private async Task ServeRequestsAsync(CancellationToken cancellationToken)
    {
        await foreach (var request in _inbound.Reader.ReadAllAsync(CancellationToken.None))
        {
            var transport = new ExchangeTransport(request.Payload, _maxMessageBytes, ReplyTo(request));
            try
            {
                await ClientSession.RunExchangeAsync(_backend, transport, _caller, _logger, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.MqttExchangeFailed(_logger, request.Topic, e);
            }
        }
    }

    /// <summary>
    /// Where the replies to <paramref name="request"/> go: its MQTT 5 response topic with its correlation data, else
    /// <c>&lt;src&gt;/rpc</c> when the request (a batch: its first member) names a <c>src</c>, as Shelly's devices answer;
    /// else nowhere.
    /// </summary>
    private Action<byte[]>? ReplyTo(InboundMessage request)
    {
        if (request.ResponseTopic is { } topic)
        {
            var correlation = request.CorrelationData;
            return reply => Publish(new OutgoingMessage(topic, reply, correlation));
        }

        if (request.Payload.Length <= _maxMessageBytes && SourceOf(request.Payload) is { } source)
        {
            return reply => Publish(new OutgoingMessage($"{source}/rpc", Addressed(reply, source), null));
        }

        Log.MqttNoReplyTarget(_logger, request.Topic);
        return null;
    }

    /// <summary>The request's <c>src</c>, when it is usable as the start of a topic.</summary>
    private static string? SourceOf(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            var request = root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 ? root[0] : root;
            return request.ValueKind == JsonValueKind.Object
                && request.TryGetProperty("src"u8, out var src)
                && src.ValueKind == JsonValueKind.String
                && src.GetString() is { Length: > 0 } value
                && value.IndexOfAny(['+', '#', '\0']) < 0
                ? value
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON (the reply is a parse error): no src to reply to.
            return null;
        }
    }

    /// <summary>Adds Shelly's <c>src</c> (this device) and <c>dst</c> (the requester) to a reply object; a batch reply stays as it is.</summary>
    private byte[] Addressed(byte[] reply, string source)
    {
        if (reply.Length < 2 || reply[0] != (byte)'{')
        {
            return reply;
        }

        var head = Encoding.UTF8.GetBytes(
            $"{{\"src\":\"{JsonEncodedText.Encode(_options.DeviceId)}\",\"dst\":\"{JsonEncodedText.Encode(source)}\",");
        return [.. head, .. reply.AsSpan(1)];
    }

    /// <summary>Holds the configured subscription for as long as the daemon runs; its notifications go to the events topic.</summary>
    private async Task PublishEventsAsync(CancellationToken cancellationToken)
    {
        if (_options.EventsSubscription is not { } subscription)
        {
            return;
        }

        using var parameters = JsonDocument.Parse(subscription);
        var transport = new NotificationTransport(_maxMessageBytes, notification => Publish(new OutgoingMessage(_options.EventsTopic, notification, null)));
        try
        {
            await ClientSession.RunEventsAsync(_backend, transport, _caller, parameters.RootElement, _logger, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.MqttEventsFailed(_logger, e);
        }
    }

    /// <summary>A request as received: its topic, payload and MQTT 5 reply address.</summary>
    private sealed record InboundMessage(string Topic, byte[] Payload, string? ResponseTopic, byte[]? CorrelationData);
}
