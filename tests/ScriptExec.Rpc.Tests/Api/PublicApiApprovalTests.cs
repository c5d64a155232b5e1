using System.Collections;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ScriptExec.Core;
using ScriptExec.Rpc.Methods;
using ScriptExec.Rpc.Protocol;
using ScriptExec.Rpc.Results;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Tests.Api;

/// <summary>
/// The public API as a client sees it, approved in the repository (serilog's approval tests): every method with
/// its role and result type, and the wire fields of every type a result or notification carries. A change here
/// is a change of the contract: the test fails until PublicApi.approved.txt is updated with it (copy the
/// .received.txt it writes next to it), so every such change is seen in review.
/// </summary>
public sealed class PublicApiApprovalTests
{
    private static readonly Type[] NotificationTypes =
        [typeof(ExecutionChangedNotification), typeof(ExecutionDroppedNotification), typeof(ExecutionOutputNotification), typeof(RestartGaveUpNotification)];

    [Test]
    public void Methods_roles_and_result_fields_match_the_approved_file()
    {
        var approvedPath = Path.Combine(RepositoryRoot(), "tests", "ScriptExec.Rpc.Tests", "Api", "PublicApi.approved.txt");
        var receivedPath = Path.ChangeExtension(approvedPath, null).Replace(".approved", ".received", StringComparison.Ordinal) + ".txt";
        var received = Describe();
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath) : "";
        if (received == approved)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, received);
        Assert.Fail($"The public API changed. If intended, review {receivedPath} and copy it over {approvedPath}.\n"
            + FirstDifference(approved, received));
    }

    [Test]
    public void Every_method_has_a_section_in_the_API_reference()
    {
        var reference = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "API.md"));
        var sections = reference.Where(l => l.StartsWith("### ", StringComparison.Ordinal)).Select(l => l[4..].Trim().Trim('`')).ToHashSet();
        Assert.That(MethodRoles.All.Keys.Where(m => !sections.Contains(m)), Is.Empty, "methods without a '### name' section in docs/API.md");
    }

    [Test]
    public void Every_method_declares_its_role()
    {
        var methods = typeof(RpcMethods).GetMethods().Where(m => m.GetCustomAttribute<JsonRpcMethodAttribute>() is not null).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(methods, Is.Not.Empty);
            Assert.That(methods.Where(m => m.GetCustomAttribute<RequiresRoleAttribute>() is null).Select(m => m.Name), Is.Empty);
            Assert.That(MethodRoles.All, Has.Count.EqualTo(methods.Count));
        });
    }

    /// <summary>The text the approved file holds: methods, then every type reachable from results and notifications.</summary>
    internal static string Describe()
    {
        var text = new StringBuilder();
        var types = new SortedDictionary<string, Type>(StringComparer.Ordinal);
        text.Append("# methods: name, least role, result\n");
        foreach (var method in typeof(RpcMethods).GetMethods().Where(m => m.GetCustomAttribute<JsonRpcMethodAttribute>() is not null)
                     .OrderBy(m => m.GetCustomAttribute<JsonRpcMethodAttribute>()!.Name, StringComparer.Ordinal))
        {
            var name = method.GetCustomAttribute<JsonRpcMethodAttribute>()!.Name!;
            var result = Unwrap(method.ReturnType);
            text.Append($"{name} {MethodRoles.All[name].ToWire()} -> {WireType(result, types)}\n");
        }

        text.Append("\n# notification params\n");
        foreach (var notification in NotificationTypes)
        {
            text.Append($"{WireType(notification, types)}\n");
        }

        // Types are described as they are found; describing one may find more.
        var described = new HashSet<string>(StringComparer.Ordinal);
        while (types.Keys.FirstOrDefault(k => !described.Contains(k)) is { } next)
        {
            described.Add(next);
            var type = types[next];
            text.Append($"\n{next}\n");
            if (type.GetCustomAttribute<JsonConverterAttribute>() is not null)
            {
                text.Append("  (written by its own converter)\n");
                continue;
            }

            var nullability = new NullabilityInfoContext();
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                         .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null && p.GetIndexParameters().Length == 0))
            {
                var wireName = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name
                    ?? RpcJson.Options.PropertyNamingPolicy!.ConvertName(property.Name);
                var optional = nullability.Create(property).ReadState == NullabilityState.Nullable ? "?" : "";
                text.Append($"  {wireName}{optional}: {WireType(property.PropertyType, types)}\n");
            }
        }

        return text.ToString();
    }

    private static Type Unwrap(Type type) =>
        type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>))
            ? type.GetGenericArguments()[0]
            : type;

    private static string WireType(Type type, SortedDictionary<string, Type> found)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return "string";
        }

        if (type == typeof(bool))
        {
            return "boolean";
        }

        if (type == typeof(int) || type == typeof(long))
        {
            return "integer";
        }

        if (type == typeof(double))
        {
            return "number";
        }

        if (typeof(JsonNode).IsAssignableFrom(type))
        {
            return "any";
        }

        if (type.IsEnum)
        {
            return "string (" + string.Join(" | ", Enum.GetNames(type).Select(n => RpcJson.Options.PropertyNamingPolicy!.ConvertName(n))) + ")";
        }

        if (type.IsGenericType && type.GetGenericArguments() is [var key, var value] && typeof(IEnumerable).IsAssignableFrom(type))
        {
            return $"object of {WireType(key, found)} -> {WireType(value, found)}";
        }

        if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type))
        {
            var element = type.IsArray ? type.GetElementType()! : type.GetGenericArguments().Single();
            return $"array of {WireType(element, found)}";
        }

        found.TryAdd(type.Name, type);
        return type.Name;
    }

    private static string FirstDifference(string approved, string received)
    {
        var a = approved.Split('\n');
        var r = received.Split('\n');
        for (var i = 0; i < Math.Max(a.Length, r.Length); i++)
        {
            var left = i < a.Length ? a[i] : "(end)";
            var right = i < r.Length ? r[i] : "(end)";
            if (left != right)
            {
                return $"first difference at line {i + 1}:\n  approved: {left}\n  received: {right}";
            }
        }

        return "";
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ScriptExec.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ScriptExec.sln not found above " + TestContext.CurrentContext.TestDirectory);
    }
}
