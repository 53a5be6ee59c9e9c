// A person accepting their full-oauth-provider invitation in a browser: opens the link and sets a
// password on the /invite page.
export async function acceptInvite(link: string, password: string, address: string): Promise<void> {
  void link;
  void password;
  void address;
  throw new Error("acceptInvite: not wired yet");
}
