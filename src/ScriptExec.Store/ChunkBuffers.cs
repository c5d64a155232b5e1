using System.Buffers;

namespace ScriptExec.Store;

/// <summary>
/// The buffers output chunks are encoded into. A flood fills a full-size buffer per read, and up to
/// <see cref="OutputStore.MaxQueuedBytes"/> of them wait in the writer's queue at once: more than the shared pool keeps
/// per size. Rented from it, most were new arrays that lived just long enough to be promoted, so the heap of a 200 MB
/// flood grew to ~150 MiB and the GC cleared and compacted behind it. Full-size buffers are therefore kept here, as
/// many as the queue can hold, and given back to the GC by <see cref="Release"/> (the daemon's idle trim). Smaller ones
/// (a quiet script's reads) come from the shared pool.
/// </summary>
internal static class ChunkBuffers
{
    /// <summary>A full chunk (<see cref="OutputChunk.MaxBytes"/>) and the line that crosses that mark, at the default line cap.</summary>
    public const int FullSize = 64 * 1024;

    // The queue's bound in full buffers, and a few for the chunks under way.
    private const int MaxKept = (int)(OutputStore.MaxQueuedBytes / FullSize) + 16;

    private static readonly Lock Gate = new();
    private static readonly Stack<byte[]> Kept = new(MaxKept);

    /// <summary>A buffer of at least <paramref name="minimumLength"/> bytes, its contents undefined.</summary>
    public static byte[] Rent(int minimumLength)
    {
        if (minimumLength is > FullSize / 2 and <= FullSize)
        {
            lock (Gate)
            {
                if (Kept.TryPop(out var kept))
                {
                    return kept;
                }
            }

            return GC.AllocateUninitializedArray<byte>(FullSize);
        }

        return ArrayPool<byte>.Shared.Rent(minimumLength);
    }

    public static void Return(byte[] buffer)
    {
        if (buffer.Length == FullSize)
        {
            lock (Gate)
            {
                if (Kept.Count < MaxKept)
                {
                    Kept.Push(buffer);
                }
            }

            return;
        }

        ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>Drops the kept buffers (the next collection frees them); a flood afterwards keeps them again.</summary>
    public static void Release()
    {
        lock (Gate)
        {
            Kept.Clear();
        }
    }
}
