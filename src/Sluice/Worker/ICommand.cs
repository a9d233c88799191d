namespace Sluice;

/// <summary>
/// Marks a record as a command handled by a <c>[Worker]</c>. The generated client returns
/// <see cref="Result{TResult, TError}"/> for it.
/// </summary>
/// <typeparam name="TResult">The value produced on success; use <see cref="Done"/> for none.</typeparam>
/// <typeparam name="TError">The typed error union, a <c>[WireErrors]</c> record.</typeparam>
#pragma warning disable CA1040 // A marker interface: the generic arguments are its content.
public interface ICommand<TResult, TError>
    where TError : class, IWireError<TError>
{
}
#pragma warning restore CA1040
