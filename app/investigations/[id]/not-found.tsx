import { InvestigationMissing } from "@/components/investigations/investigation-page";

/** What notFound() in page.tsx shows, with HTTP 404: no investigation has this link. */
export default function NotFound() {
  return <InvestigationMissing />;
}
