using System.Reflection;
using ScriptExec.Rpc.Methods;
using ScriptExec.Rpc.Protocol;
using ScriptExec.Rpc.Results;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Tests.Api;

/// <summary>
/// The native binary serializes only what <see cref="RpcJsonContext"/> was generated for (reflection is off there),
/// while the JIT build would quietly fall back to reflection: this pins that nothing on the wire is missing from it.
/// </summary>
public class RpcJsonContextTests
{
    private static IEnumerable<TestCaseData> WireTypes()
    {
        foreach (var method in typeof(RpcMethods).GetMethods(BindingFlags.Public | BindingFlags.Instance))
        {
            if (method.GetCustomAttribute<JsonRpcMethodAttribute>() is { Name: { } name })
            {
                var result = method.ReturnType.IsGenericType && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>)
                    ? method.ReturnType.GetGenericArguments()[0]
                    : method.ReturnType;
                yield return new TestCaseData(result).SetArgDisplayNames(name);
            }
        }

        foreach (var notification in typeof(ExecutionChangedNotification).Assembly.GetTypes()
                     .Where(t => t.Namespace == typeof(ExecutionChangedNotification).Namespace && t.Name.EndsWith("Notification", StringComparison.Ordinal)))
        {
            yield return new TestCaseData(notification).SetArgDisplayNames(notification.Name);
        }

        yield return new TestCaseData(typeof(RpcErrorData)).SetArgDisplayNames(nameof(RpcErrorData));
    }

    [TestCaseSource(nameof(WireTypes))]
    public void Has_build_time_metadata_for(Type type)
    {
        Assert.That(RpcJsonContext.Default.GetTypeInfo(type), Is.Not.Null, $"{type.Name} is not in RpcJsonContext");
    }

    [Test]
    public void Names_members_in_snake_case_and_omits_nulls()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(new RpcErrorData("params.name", "too_long"), RpcJson.Options);

        Assert.That(json, Is.EqualTo("""{"field":"params.name","reason":"too_long"}"""));
    }
}
