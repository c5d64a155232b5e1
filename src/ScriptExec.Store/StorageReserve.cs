namespace ScriptExec.Store;

/// <summary>
/// A preallocated file beside the store that holds back a little space. When the file system fills up, the store
/// deletes it so the records that must not be lost (end, stop, pid) still fit; it is allocated again once space
/// has returned.
/// </summary>
public sealed class StorageReserve
{
    private readonly string? _path;
    private readonly long _bytes;

    /// <param name="path">The reserve file; null disables the reserve.</param>
    public StorageReserve(string? path, long bytes)
    {
        _path = path;
        _bytes = bytes;
    }

    public long Bytes => _bytes;

    /// <summary>True while the reserve file holds its space.</summary>
    public bool IsHeld { get; private set; }

    public bool IsEnabled => _path is not null;

    /// <summary>
    /// Allocates the reserve if it is not held. False when the file system has not that much room (or refuses);
    /// a partial file is never left behind, so a failed attempt takes no space.
    /// </summary>
    public bool TryAllocate()
    {
        if (_path is null || IsHeld)
        {
            return IsHeld;
        }

        try
        {
            if (File.Exists(_path) && new FileInfo(_path).Length == _bytes)
            {
                IsHeld = true;
                return true;
            }

            // Written out, not just sized: a sparse file would hold back nothing.
            using (var file = new FileStream(_path, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                var zeros = new byte[64 * 1024];
                for (long written = 0; written < _bytes; written += zeros.Length)
                {
                    file.Write(zeros, 0, (int)Math.Min(zeros.Length, _bytes - written));
                }

                file.Flush(flushToDisk: true);
            }

            IsHeld = new FileInfo(_path).Length >= _bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            IsHeld = false;
        }

        if (!IsHeld)
        {
            TryDelete(_path);
        }

        return IsHeld;
    }

    /// <summary>Deletes the reserve, giving its space to the store. False when there was none to give.</summary>
    public bool Release()
    {
        if (_path is null || !IsHeld)
        {
            return false;
        }

        IsHeld = false;
        return TryDelete(_path);
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
