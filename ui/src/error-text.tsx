/** What went wrong, announced to screen readers; nothing when all is well. */
export function ErrorText({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <p role="alert" class="error-text">
      {error}
    </p>
  );
}
