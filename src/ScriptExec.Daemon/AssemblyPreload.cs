using System.Reflection;
using System.Runtime.CompilerServices;

namespace ScriptExec.Daemon;

/// <summary>
/// Loads, at start, the assemblies the serving path would otherwise load on first use.
/// </summary>
/// <remarks>
/// An assembly loaded lazily needs file descriptors at that moment. If they are exhausted then, the load fails and
/// the runtime caches the failure: after one descriptor-exhaustion episode the WebSocket endpoint kept failing with
/// "Could not load file or assembly" until a restart. Loaded up front, the cost is paid once, while descriptors are
/// plentiful, and it is counted in <see cref="DescriptorBudget.InUse"/>. A list rather than the reference closure:
/// .NET keeps two descriptors open per loaded assembly, and the closure (MessagePack, IIS, HttpSys, QUIC, XML
/// serialization...) would cost some 200 descriptors for code that never runs. The list is what a daemon serving
/// both transports, running a script and streaming its output loads after start (compare <c>/proc/PID/fd</c>).
/// </remarks>
internal static class AssemblyPreload
{
    private static readonly string[] ServingPath =
    [
        // JSON-RPC connections, either transport.
        "StreamJsonRpc",
        "Newtonsoft.Json",
        "Nerdbank.Streams",
        "PolyType",
        "Microsoft.VisualStudio.Threading",
        "Microsoft.VisualStudio.Validation",
        "System.Collections.Immutable",
        "System.Collections.Specialized",
        "System.Diagnostics.TraceSource",
        "System.Runtime.Numerics",
        "System.Text.Encoding.Extensions",

        // HTTP requests and the WebSocket upgrade.
        "Microsoft.AspNetCore.Http.Features",
        "Microsoft.AspNetCore.Metadata",
        "Microsoft.AspNetCore.WebUtilities",
        "Microsoft.Extensions.Validation",
        "System.Net.WebSockets",
        "System.Security.Claims",
        "System.Text.Encodings.Web",

        // Spawning and schedules.
        "System.Diagnostics.Process",
        "Cronos",
    ];

    /// <summary>
    /// Builds the app's endpoints now rather than on the first request: that builds request delegates and runs type
    /// initializers (JsonOptions) whose failure under EMFILE would be cached, leaving the endpoint dead for good.
    /// </summary>
    public static void BuildEndpoints(IEndpointRouteBuilder endpoints)
    {
        foreach (var source in endpoints.DataSources)
        {
            _ = source.Endpoints;
        }
    }

    /// <summary>Loads the serving path's assemblies; returns how many assemblies are loaded in all.</summary>
    public static int LoadServingPath()
    {
        if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            // The native binary: its code is all in one file, there is no assembly to load.
            return 0;
        }

        foreach (var name in ServingPath)
        {
            try
            {
                Assembly.Load(new AssemblyName(name));
            }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException)
            {
                // Renamed or dropped by an update: it would be loaded lazily, as before; not worth failing the start.
            }
        }

        return AppDomain.CurrentDomain.GetAssemblies().Length;
    }
}
