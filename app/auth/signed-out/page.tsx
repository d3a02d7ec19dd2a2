export const dynamic = "force-dynamic";

/** Where the sign-out ends. */
export default function SignedOutPage() {
  return (
    <main className="p-6 text-sm">
      <h1 className="mb-2 text-base font-semibold">You are signed out of Hubble Lens</h1>
      <a href="login" className="underline" data-testid="sign-in-again">
        Sign in again
      </a>
    </main>
  );
}
