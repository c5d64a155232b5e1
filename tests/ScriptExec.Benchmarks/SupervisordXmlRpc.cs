using System.Globalization;
using System.Net.Sockets;
using System.Security;
using System.Text;
using System.Xml.Linq;

namespace ScriptExec.Benchmarks;

/// <summary>
/// supervisord's XML-RPC interface (POST /RPC2) over its Unix socket, without supervisorctl: HttpClient with a
/// SocketsHttpHandler whose ConnectCallback dials the socket. Only strings, booleans and integers are needed.
/// </summary>
internal sealed class SupervisordXmlRpc : IDisposable
{
    private readonly HttpClient _http;

    public SupervisordXmlRpc(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://localhost/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Calls <paramref name="method"/>; returns the result's &lt;value&gt; element. A fault throws.</summary>
    public async Task<XElement> CallAsync(string method, IReadOnlyList<object> parameters, CancellationToken cancellationToken)
    {
        var body = new StringBuilder("<?xml version=\"1.0\"?><methodCall><methodName>")
            .Append(SecurityElement.Escape(method)).Append("</methodName><params>");
        foreach (var parameter in parameters)
        {
            body.Append("<param><value>").Append(Encode(parameter)).Append("</value></param>");
        }

        body.Append("</params></methodCall>");
        using var content = new StringContent(body.ToString(), Encoding.UTF8, "text/xml");
        using var response = await _http.PostAsync(new Uri("RPC2", UriKind.Relative), content, cancellationToken);
        response.EnsureSuccessStatusCode();
        var document = XDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        if (document.Descendants("fault").FirstOrDefault() is { } fault)
        {
            var members = Members(fault.Element("value")!);
            throw new SupervisordFaultException(
                members.TryGetValue("faultCode", out var code) ? Int(code) : 0,
                $"supervisord {method}: fault {members.GetValueOrDefault("faultCode")?.Value} {members.GetValueOrDefault("faultString")?.Value}");
        }

        return document.Descendants("param").First().Element("value")!;
    }

    /// <summary>The members of an XML-RPC struct value, by name (each a &lt;value&gt; element).</summary>
    public static Dictionary<string, XElement> Members(XElement value) =>
        value.Descendants("member").ToDictionary(m => (string)m.Element("name")!, m => m.Element("value")!);

    public static int Int(XElement value) =>
        int.Parse(((string?)value.Element("int") ?? (string?)value.Element("i4") ?? value.Value).Trim(), CultureInfo.InvariantCulture);

    public void Dispose() => _http.Dispose();

    private static string Encode(object value) => value switch
    {
        string s => "<string>" + SecurityElement.Escape(s) + "</string>",
        bool b => b ? "<boolean>1</boolean>" : "<boolean>0</boolean>",
        int i => "<int>" + i.ToString(CultureInfo.InvariantCulture) + "</int>",
        _ => throw new ArgumentException($"cannot encode {value.GetType().Name} as XML-RPC", nameof(value)),
    };
}

/// <summary>supervisord answered with an XML-RPC fault.</summary>
internal sealed class SupervisordFaultException : Exception
{
    public SupervisordFaultException(int code, string message)
        : base(message)
    {
        Code = code;
    }

    public SupervisordFaultException()
    {
    }

    public SupervisordFaultException(string message)
        : base(message)
    {
    }

    public SupervisordFaultException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int Code { get; }
}
