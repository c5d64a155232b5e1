using System.Collections;
using System.Reflection;
using System.Xml.Linq;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// The native daemon's DI container closes every open generic it resolves (<c>ILogger&lt;T&gt;</c>, <c>IOptions&lt;T&gt;</c>,
/// the arrays behind <c>IEnumerable&lt;IConfigureOptions&lt;T&gt;&gt;</c>...) with MakeGenericType, which NativeAOT answers by
/// building the type at run time unless the compiler made it: a quarter of the start-up CPU. StartupGenerics.rd.xml
/// has the compiler make the ones a start resolves. This starts the host in-process (JIT, default options) and reads
/// the container's call-site cache: what it closed and the file must agree, so a new service with an
/// <c>ILogger&lt;T&gt;</c> or an options type fails here with the line to add (or the stale one to remove).
/// </summary>
public sealed class StartupGenericsTests
{
    private const BindingFlags Internal = BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance;

    [Test]
    public async Task The_rd_xml_lists_exactly_the_generic_types_a_start_closes()
    {
        // In Development the host validates every registration at build, closing far more than a start needs.
        Assume.That(
            new[] { "DOTNET_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT" }.Select(Environment.GetEnvironmentVariable),
            Has.None.EqualTo("Development"),
            "the daemon runs in Production; a Development environment validates every service at build");
        var dir = Directory.CreateTempSubdirectory("scriptexec-generics-").FullName;
        var closed = new SortedSet<string>(StringComparer.Ordinal);
        await using (var app = DaemonHost.Build(["--data-dir", dir, "--socket", Path.Combine(dir, "d.sock"), "--listen", "http://127.0.0.1:0"]))
        {
            await app.StartAsync();
            foreach (var type in ClosedAtRunTime(app.Services))
            {
                closed.Add(RdXmlLine(type));
            }

            await app.StopAsync();
        }

        var listed = new SortedSet<string>(Listed(), StringComparer.Ordinal);
        Assert.Multiple(() =>
        {
            Assert.That(closed.Except(listed), Is.Empty, "closed at start but missing from src/ScriptExec.Daemon/StartupGenerics.rd.xml");
            Assert.That(listed.Except(closed), Is.Empty, "listed in StartupGenerics.rd.xml but no longer closed at start");
        });
    }

    /// <summary>
    /// Generic implementation types the container constructs (closed from open generic registrations; a closed one
    /// registered as such is listed too, harmlessly), and the arrays of its enumerables. Instances registered as
    /// constants and factories are made by compiled code, not by the container.
    /// </summary>
    private static IEnumerable<Type> ClosedAtRunTime(IServiceProvider services)
    {
        var factory = services.GetType().GetProperty("CallSiteFactory", Internal)?.GetValue(services)
            ?? throw new InvalidOperationException("ServiceProvider.CallSiteFactory not found: the container's internals changed");
        var cache = factory.GetType().GetField("_callSiteCache", Internal)?.GetValue(factory) as IDictionary
            ?? throw new InvalidOperationException("CallSiteFactory._callSiteCache not found: the container's internals changed");
        foreach (DictionaryEntry entry in cache)
        {
            var callSite = entry.Value!;
            var kind = callSite.GetType();
            if (kind.Name == "IEnumerableCallSite")
            {
                yield return ((Type)kind.GetProperty("ItemType", Internal)!.GetValue(callSite)!).MakeArrayType();
            }
            else if (kind.Name == "ConstructorCallSite"
                && kind.GetProperty("ImplementationType", Internal)?.GetValue(callSite) is Type { IsConstructedGenericType: true } implementation
                && ((Type)kind.GetProperty("ServiceType", Internal)!.GetValue(callSite)!).IsConstructedGenericType)
            {
                yield return implementation;
            }
        }
    }

    private static IEnumerable<string> Listed()
    {
        var ns = XNamespace.Get("http://schemas.microsoft.com/netfx/2013/01/metadata");
        var file = XDocument.Load(Path.Combine(AppContext.BaseDirectory, "StartupGenerics.rd.xml"));
        return file.Descendants(ns + "Assembly").SelectMany(assembly => assembly.Elements(ns + "Type").Select(type =>
            $"{assembly.Attribute("Name")!.Value}: {type.Attribute("Name")!.Value}"));
    }

    /// <summary>"Assembly: name" with the rd.xml name syntax (generic arguments as [[Type,Assembly]]).</summary>
    private static string RdXmlLine(Type type)
    {
        var owner = type.IsArray ? type.GetElementType()! : type;
        return $"{owner.Assembly.GetName().Name}: {RdXmlName(type)}";
    }

    private static string RdXmlName(Type type) => type.IsArray
        ? RdXmlName(type.GetElementType()!) + "[]"
        : type.IsConstructedGenericType
            ? $"{type.GetGenericTypeDefinition().FullName}[{string.Join(",", type.GenericTypeArguments.Select(a => $"[{RdXmlName(a)},{a.Assembly.GetName().Name}]"))}]"
            : type.FullName!;
}
