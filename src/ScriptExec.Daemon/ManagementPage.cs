using System.Collections.Frozen;
using Microsoft.Net.Http.Headers;
using ScriptExec.Core.Crypto;

namespace ScriptExec.Daemon;

/// <summary>
/// The management page: static files embedded in the binary (<c>Page/</c>, resources named <c>page/FILE</c>), served
/// from memory at <c>/</c> on the WebSocket listener, so it works offline on a device with nothing to install. The
/// page holds no rights of its own: it logs in on <c>/rpc</c> with a token (<c>authenticate</c>).
/// </summary>
internal static class ManagementPage
{
    private const string ResourcePrefix = "page/";

    /// <summary>
    /// Only the page's own files and its own origin's WebSocket: no inline script or style, no other origin, no framing
    /// (clickjacking), no form posting elsewhere. <c>connect-src 'self'</c> covers ws:// and wss:// to the same host.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".txt"] = "text/plain; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>One embedded file, read once: its bytes, content type and strong ETag (a hash of the bytes).</summary>
    internal sealed record PageFile(string Path, byte[] Content, string ContentType, string ETag);

    /// <summary>Every embedded file by request path; <c>/</c> is <c>index.html</c>.</summary>
    internal static FrozenDictionary<string, PageFile> Files { get; } = Load();

    /// <summary>Maps GET and HEAD of each file (and <c>/</c>); nothing else, so other paths stay 404.</summary>
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        foreach (var (path, file) in Files)
        {
            endpoints.MapMethods(path, [HttpMethods.Get, HttpMethods.Head], context => ServeAsync(context, file));
        }
    }

    private static Task ServeAsync(HttpContext context, PageFile file)
    {
        var response = context.Response;
        var headers = response.Headers;
        headers.ContentType = file.ContentType;
        headers.ETag = file.ETag;
        // Revalidate every time (a 304 costs a few bytes): a daemon upgrade must never leave an old script in a tab.
        headers.CacheControl = "no-cache";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";

        var ifNoneMatch = context.Request.Headers.IfNoneMatch;
        if (ifNoneMatch.Count > 0 && EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags)
            && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Tag.Equals(file.ETag, StringComparison.Ordinal)))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.ContentLength = file.Content.Length;
        return HttpMethods.IsHead(context.Request.Method)
            ? Task.CompletedTask
            : response.Body.WriteAsync(file.Content, context.RequestAborted).AsTask();
    }

    private static FrozenDictionary<string, PageFile> Load()
    {
        var assembly = typeof(ManagementPage).Assembly;
        var files = new Dictionary<string, PageFile>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            var content = memory.ToArray();
            var path = "/" + name[ResourcePrefix.Length..];
            var type = ContentTypes.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream");
            var etag = $"\"{Convert.ToHexStringLower(Sha256.HashData(content))[..20]}\"";
            files[path] = new PageFile(path, content, type, etag);
            if (path == "/index.html")
            {
                files["/"] = files[path] with { Path = "/" };
            }
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
