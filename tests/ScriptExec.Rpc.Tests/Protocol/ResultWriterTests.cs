using System.Buffers;
using System.Text;
using System.Text.Json;
using ScriptExec.Rpc.Protocol;
using ScriptExec.Rpc.Results;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace ScriptExec.Rpc.Tests.Protocol;

/// <summary>
/// Results are written with the shared serializer options instead of each connection's formatter
/// (<see cref="OutboundResponses.TryWriteResult"/>): the bytes must be the formatter's, to the last escape.
/// </summary>
public sealed class ResultWriterTests
{
    private static readonly ScriptDto Script = new("a<b>", "echo \"é\" & 'x'\n\u0001", "c544ac10b55cfec9", null, 1796069696);

    private static IEnumerable<TestCaseData> Results()
    {
        yield return new TestCaseData(Script, typeof(ScriptDto)).SetName("a record by its declared type");
        yield return new TestCaseData(Script, null).SetName("a record without a declared type");
        yield return new TestCaseData(null, typeof(ScriptDto)).SetName("null");
        yield return new TestCaseData("text with \"quotes\" and <tags>", typeof(string)).SetName("a string");
        yield return new TestCaseData(new[] { Script, Script with { Source = null } }, typeof(ScriptDto[])).SetName("an array");
    }

    [TestCaseSource(nameof(Results))]
    public void Writes_what_the_formatter_writes(object? value, Type? declaredType)
    {
        var result = new JsonRpcResult { RequestId = new RequestId(7), Result = value, ResultDeclaredType = declaredType, Version = "2.0" };
        var formatter = new SystemTextJsonFormatter { JsonSerializerOptions = RpcJson.Options };
        var expected = new ArrayBufferWriter<byte>();
        formatter.Serialize(expected, result);

        var written = new ArrayBufferWriter<byte>();
        Assert.That(OutboundResponses.TryWriteResult(written, result, 7), Is.True);

        Assert.That(Encoding.UTF8.GetString(written.WrittenSpan), Is.EqualTo(Encoding.UTF8.GetString(expected.WrittenSpan)));
    }

    [Test]
    public void A_version_other_than_2_0_is_left_to_the_formatter()
    {
        var result = new JsonRpcResult { RequestId = new RequestId(7), Result = "x", ResultDeclaredType = typeof(string), Version = "1.0" };
        var written = new ArrayBufferWriter<byte>();

        Assert.That(OutboundResponses.TryWriteResult(written, result, 7), Is.False);
        Assert.That(written.WrittenCount, Is.Zero);
    }

    [Test]
    public void A_result_that_cannot_be_serialized_fails_as_the_formatter_fails()
    {
        // A type the API's serializer context does not know: StreamJsonRpc answers such a failure with an error.
        var result = new JsonRpcResult { RequestId = new RequestId(7), Result = new Unknown(), ResultDeclaredType = typeof(Unknown), Version = "2.0" };

        Assert.That(() => OutboundResponses.TryWriteResult(new ArrayBufferWriter<byte>(), result, 7), Throws.InstanceOf<JsonException>());
    }

    private sealed class Unknown
    {
        public IntPtr Handle { get; } = IntPtr.Zero;
    }
}
