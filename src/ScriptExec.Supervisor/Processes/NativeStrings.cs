using System.Runtime.InteropServices;
using System.Text;

namespace ScriptExec.Supervisor.Processes;

/// <summary>NUL-terminated UTF-8 strings and string arrays in native memory, each one block freed with <see cref="NativeMemory.Free"/>.</summary>
internal static unsafe class NativeStrings
{
    public static byte* Alloc(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        var block = (byte*)NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(value, new Span<byte>(block, length));
        block[length] = 0;
        return block;
    }

    /// <summary>A NULL-terminated array of C strings (argv/envp); the pointers and the bytes share one block.</summary>
    public static byte** AllocArray(IReadOnlyList<string> values)
    {
        var pointersSize = (values.Count + 1) * sizeof(byte*);
        var total = pointersSize;
        foreach (var value in values)
        {
            total += Encoding.UTF8.GetByteCount(value) + 1;
        }

        var block = (byte*)NativeMemory.Alloc((nuint)total);
        var pointers = (byte**)block;
        var next = block + pointersSize;
        for (var i = 0; i < values.Count; i++)
        {
            var written = Encoding.UTF8.GetBytes(values[i], new Span<byte>(next, total - (int)(next - block)));
            next[written] = 0;
            pointers[i] = next;
            next += written + 1;
        }

        pointers[values.Count] = null;
        return pointers;
    }
}
