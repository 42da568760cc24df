/** Why a sign-in with NHS Care Identity did not happen, said plainly, with the way back (decision 038). */
export function SignInRefused({ title, message }: { title: string; message: string }) {
  return (
    <div className="narrow">
      <h1>{title}</h1>
      <div className="error-summary" role="alert" data-testid="sign-in-refused">
        <p>{message}</p>
      </div>
      <p>
        <a href="/login">Back to sign in</a>
      </p>
    </div>
  )
}
